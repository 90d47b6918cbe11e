"""The group server's web application: FastAPI, server-rendered pages, no external assets."""

"""Storage: tables, database access, migrations and the hash-chained journal."""

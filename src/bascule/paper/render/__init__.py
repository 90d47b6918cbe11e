"""Rendering a packet's data to one PDF with reportlab."""

from bascule.paper.render.options import PacketOptions
from bascule.paper.render.packet import render_packet

__all__ = ["PacketOptions", "render_packet"]

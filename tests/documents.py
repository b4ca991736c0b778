"""Documents the import tests make and read back: one garden guide as a web page, a Word file and a PDF, each
with headings, a bulleted and a numbered list, an FAQ section and parts the importer must drop; and what a
reader sees of it, to compare the knowledge file with."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

TITLE = "Pruning Guide"
AUTHOR = "Green Thumb Club"
# (kind, text): what a reader of any of the three sees, in order; "ul" and "ol" are list items.
CONTENT: list[tuple[str, str]] = [
    ("h1", TITLE),
    ("p", "Pruning keeps shrubs healthy and shapely. Most shrubs need it once a year."),
    ("h2", "Tools"),
    ("p", "Pruning tools include:"),
    ("ul", "bypass secateurs for stems up to a finger's width"),
    ("ul", "loppers for thicker branches"),
    ("ul", "a folding saw for old wood"),
    ("h3", "Keeping tools clean"),
    ("p", "Clean blades stop disease spreading from plant to plant."),
    ("h2", "How to prune a rose"),
    ("p", "Follow these steps in late winter:"),
    ("ol", "Remove dead and damaged canes."),
    ("ol", "Cut out stems that cross the centre."),
    ("ol", "Shorten the remaining stems by a third."),
    ("h2", "Frequently asked questions"),
    ("h3", "When should I prune lavender?"),
    ("p", "Prune lavender just after it flowers, and never into old wood."),
    ("h3", "Can I prune in the rain?"),
    ("p", "Wait for a dry day; wet cuts let fungus in."),
]
# What each format carries that a quote cannot: the importer drops and reports these.
NAVIGATION = "Home Shop Contact us"
IMAGE_ALT = "A rose bush after pruning"
WORD_HEADER = "Garden Club newsletter"
WORD_FOOTER = "Printed for members only"
TABLE_CELL = "Shrub pruning calendar"


def visible_blocks(markdown: str) -> list[str]:
    """The text of a knowledge file as a reader sees it: front matter left out, heading and list marks taken off,
    one entry per heading, paragraph or item, white space made single."""
    body = markdown.split("\n---\n", 1)[1] if markdown.startswith("---\n") else markdown
    blocks = re.split(r"\n\s*\n|\n(?=\s*(?:[-*+]|\d+[.)]) )", body.strip())
    marks = re.compile(r"^\s*(#{1,6}|[-*+]|\d{1,9}[.)])\s+")
    return [" ".join(marks.sub("", block).split()) for block in blocks if block.strip()]


def expected_markdown_lines() -> list[str]:
    """The structure the knowledge file must have: headings with their level, list items with their mark."""
    numbers = iter(range(1, 100))
    marks = {"ul": lambda: "- ", "ol": lambda: f"{next(numbers)}. ", "p": lambda: ""}
    return [("#" * int(kind[1]) + " " if kind[0] == "h" else marks[kind]()) + text for kind, text in CONTENT]


def html_page() -> str:
    """A web page: navigation, inline emphasis and a link, an image, a table, lists, and an FAQ section."""
    parts = []
    for n, (kind, text) in enumerate(CONTENT):
        previous = CONTENT[n - 1][0] if n else None
        following = CONTENT[n + 1][0] if n + 1 < len(CONTENT) else None
        if kind in ("ul", "ol"):
            opening = f"<{kind}>" if previous != kind else ""
            closing = f"</{kind}>" if following != kind else ""
            parts.append(f"{opening}<li>{text}</li>{closing}")
        elif kind == "p" and "tools include" in text:
            parts.append(f"<p>{text.replace('tools', '<strong>tools</strong>')}</p>")
        elif kind == "p" and "disease" in text:
            linked = text.replace("disease", '<a href="/disease">disease</a>')
            parts.append(f"<p>{linked}</p>")
            parts.append(f'<figure><img src="rose.png" alt="{IMAGE_ALT}"></figure>')
            parts.append(f"<table><tr><th>{TABLE_CELL}</th></tr><tr><td>March</td></tr></table>")
        else:
            parts.append(f"<{kind}>{text}</{kind}>")
    body = "\n".join(parts)
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{TITLE} | Club</title>'
        f'<meta name="author" content="{AUTHOR}"><style>p {{ color: green; }}</style></head>\n<body>\n'
        f"<nav><a href='/'>Home</a> <a href='/shop'>Shop</a> <a href='/contact'>Contact us</a></nav>\n"
        f"<main>\n{body}\n</main>\n<script>console.log('not text');</script>\n</body></html>\n"
    )


def png(width: int = 4, height: int = 4) -> bytes:
    """A small grey PNG, made here so that no image file is needed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def word_document(path: Path) -> Path:
    """A .docx with Word's heading styles, bulleted and numbered list styles, a bold run, a table, an image, and a
    page header and footer."""
    import docx

    document = docx.Document()
    document.core_properties.title = TITLE
    document.core_properties.author = AUTHOR
    styles = {"ul": "List Bullet", "ol": "List Number", "p": None}
    for kind, text in CONTENT:
        if kind == "h1":
            document.add_paragraph(text, style="Title")
        elif kind[0] == "h":
            document.add_heading(text, level=int(kind[1]))
        elif "shapely" in text:
            paragraph = document.add_paragraph("Pruning keeps shrubs ")
            paragraph.add_run("healthy").bold = True
            paragraph.add_run(text.removeprefix("Pruning keeps shrubs healthy"))
        else:
            document.add_paragraph(text, style=styles[kind])
        if "disease" in text:
            image = path.parent / "rose.png"
            image.write_bytes(png())
            document.add_picture(str(image))
            document.add_table(rows=2, cols=1).cell(0, 0).text = TABLE_CELL
    document.sections[0].header.paragraphs[0].text = WORD_HEADER
    document.sections[0].footer.paragraphs[0].text = WORD_FOOTER
    document.save(str(path))
    return path


def pdf_document(path: Path) -> Path:
    """A text-based PDF: headings in larger type, bulleted and numbered lines, bold FAQ questions, an image, and a
    page number at the foot of each page."""
    from fpdf import FPDF

    class Pages(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 10, str(self.page_no()), align="C")

    pdf = Pages()
    pdf.core_fonts_encoding = "windows-1252"  # for the bullet character
    pdf.set_title(TITLE)
    pdf.set_author(AUTHOR)
    pdf.add_page()
    sizes = {"h1": 20, "h2": 15, "h3": 13}
    for kind, text in CONTENT:
        question = text.endswith("?")
        size = 11 if question else sizes.get(kind, 11)
        pdf.set_font("Helvetica", "B" if kind[0] == "h" else "", size)
        shown = {"ul": "\u2022 " + text, "ol": text}.get(kind, text)
        if kind == "ol":
            shown = f"{[t for k, t in CONTENT if k == 'ol'].index(text) + 1}. {text}"
        if kind[0] == "h" or kind == "p":
            pdf.ln(3)
        pdf.multi_cell(0, size * 0.55, shown, new_x="LMARGIN", new_y="NEXT")
        if "disease" in text:
            image = path.parent / "rose.png"
            image.write_bytes(png())
            pdf.image(str(image), w=20)
        if text == "Clean blades stop disease spreading from plant to plant.":
            pdf.add_page()
    pdf.output(str(path))
    return path


def slow_pdf(path: Path, content_bytes: int) -> Path:
    """A PDF of a few KB whose one page stacks the same line of text thousands of times at one spot: pdfminer's
    layout analysis takes minutes over it."""
    line = b"BT /F1 12 Tf 72 720 Td (" + b"roses " * 20 + b") Tj ET\n"
    content = zlib.compress(line * (content_bytes // len(line)), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    table = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, table)
    path.write_bytes(pdf)
    return path

"""A report as an A4 PDF, drawn with ReportLab's canvas.

The receipts and manifests are HTML laid out by WeasyPrint; a report listing is
too long for it (10,000 rows of 14 columns took 18 s even as preformatted text:
see docs/decisions.md). Here the rows are laid out by us, which a table of
one-line rows makes simple: every row has the same height, so the pages are cut
before drawing and "page N of M" is known; each value is measured with the
font's own metrics and cut with a visible "…" where its column ends, so nothing
overflows a cell; money and counts are right-aligned as the page shows them.

Column widths follow the content: each column is as wide as its widest value
(text capped), the page turns to landscape when portrait is too narrow, and
when even landscape is too narrow the text columns give way first, then the
type shrinks a little. The column headers wrap onto up to three lines and are
repeated at the top of every page; the totals row closes the last page.

Text is drawn in DejaVu Sans (fonts-dejavu-core, which WeasyPrint already
needs): accented Latin, Greek, Cyrillic, Hebrew and Arabic letters are in it.
Right-to-left text is put in display order (python-bidi; Arabic letters keep
their isolated forms: no shaping); a character the font lacks (Chinese) or one
beyond U+FFFF (an emoji) is printed as U+FFFD, rather than as an empty box or
text that cannot be copied, and control characters are dropped.
"""

import functools
import math
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass

from bidi import get_display
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from reporting.reports import TEXT, display

REGULAR, BOLD = "ReportSans", "ReportSans-Bold"
FONT_FILES = {REGULAR: ("DejaVuSans.ttf", "DejaVu Sans"), BOLD: ("DejaVuSans-Bold.ttf", "DejaVu Sans:bold")}
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")
ELLIPSIS = "\u2026"
MISSING = "\ufffd"
RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")

MARGIN = 12 * mm
FOOTER_GAP = 6 * mm  # the footer line sits this far under the table's lowest row
PAD = 1 * mm  # inside each cell, left and right
SIZES = (7, 6.5, 6, 5.5)  # the type of the table, largest first: smaller only when the columns do not fit
TEXT_CAP = 55 * mm  # the widest a text column grows
TEXT_COMFORT = 25 * mm  # smaller type rather than text columns cut narrower than this
HEADER_LINES = 3
INK = (0.10, 0.10, 0.10)
NAVY = (0.122, 0.227, 0.373)
MUTED = (0.33, 0.33, 0.33)
STRIPE = (0.945, 0.957, 0.973)
HEADER_FILL = (0.933, 0.949, 0.969)
RULE = (0.60, 0.66, 0.74)


# --- Fonts and text ---------------------------------------------------------------


def _font_file(file_name, pattern):
    for directory in FONT_DIRS:
        path = os.path.join(directory, file_name)
        if os.path.exists(path):
            return path
    if shutil.which("fc-match"):
        found = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True).stdout
        if os.path.basename(found) == file_name:
            return found
    raise ImproperlyConfigured(
        f"Report PDFs need the font {file_name}. On Debian or Ubuntu: sudo apt-get install fonts-dejavu-core"
    )


@functools.cache
def _glyphs():
    """Register the fonts once per process; the characters the regular font can draw."""
    for name, (file_name, pattern) in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, _font_file(file_name, pattern)))
    return frozenset(pdfmetrics.getFont(REGULAR).face.charToGlyph)


def printable(text):
    """Text as it can be drawn: control characters out, missing glyphs marked, right-to-left in display order."""
    if text.isascii() and text.isprintable():
        return text
    glyphs = _glyphs()
    kept = []
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            kept.append(" " if char in "\t\n\r\u2028\u2029" else "")
        else:
            # ReportLab writes the text map of a character beyond U+FFFF wrongly (copying it fails): marked too.
            kept.append(char if ord(char) in glyphs and ord(char) <= 0xFFFF else MISSING)
    text = "".join(kept)
    return get_display(text) if RIGHT_TO_LEFT.search(text) else text


def width(text, font, size):
    return pdfmetrics.stringWidth(text, font, size)


def fit(text, room, font, size):
    """The longest start of `text` that fits in `room` points, with "…" when it was cut."""
    if width(text, font, size) <= room:
        return text
    low, high = 0, len(text)  # text[:low] + "…" fits; text[:high] + "…" does not
    while high - low > 1:
        middle = (low + high) // 2
        if width(text[:middle].rstrip() + ELLIPSIS, font, size) <= room:
            low = middle
        else:
            high = middle
    return text[:low].rstrip() + ELLIPSIS


def wrap(text, room, font, size, max_lines):
    """Words onto lines of at most `room` points; past `max_lines`, the last line is cut with "…"."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if line and width(candidate, font, size) > room:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    return [fit(line, room, font, size) for line in lines]


# --- Layout --------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """The page, the type size, each column's width and its label as lines."""

    page_size: tuple
    size: float
    widths: list
    header: list

    @property
    def row_height(self):
        return self.size * 1.75

    @property
    def header_height(self):
        return max(len(lines) for lines in self.header) * self.size * 1.2 + self.size * 0.9

    @property
    def line_width(self):
        return self.page_size[0] - 2 * MARGIN

    def rows_per_page(self, above_table):
        """How many rows fit under the header, when the page's own heading takes `above_table` points."""
        room = self.page_size[1] - MARGIN - above_table - self.header_height - (MARGIN + FOOTER_GAP)
        return max(1, int(room // self.row_height))


def _label_width(label, size):
    """The narrowest room in which a column's label wraps onto HEADER_LINES lines or fewer, word by word."""
    room = max((width(word, BOLD, size) for word in label.split()), default=0)
    while len(wrap(label, room, BOLD, size, max_lines=HEADER_LINES + 1)) > HEADER_LINES:
        room += size / 2
    return room


def _natural_widths(columns, longest, size):
    """Each column as wide as its widest value (`longest`: in points at a size of 1) or its label, text capped.

    Also the least each may be cut down to: its label's width for text, its own width for the rest.
    """
    widths, floors = [], []
    for column, widest in zip(columns, longest, strict=True):
        label = _label_width(str(column.label), size) + 2 * PAD
        natural = max(widest * size + 2 * PAD, label)
        if column.kind == TEXT:
            widths.append(min(natural, max(TEXT_CAP, label)))
            floors.append(label)
        else:
            widths.append(natural)
            floors.append(natural)
    return widths, floors


def _squeeze(widths, floors, room):
    """The widest columns cut down to a common width L, none below its floor, so that all fit in `room`.

    (widths, L), L None if nothing had to be cut; None if even the floors do not fit.
    """
    if sum(widths) <= room:
        return widths, None
    if sum(floors) > room:
        return None

    def cut_to(level):
        return [max(floor, min(w, level)) for w, floor in zip(widths, floors, strict=True)]

    low, high = 0.0, max(widths)  # cut_to(low) fits, cut_to(high) does not
    for _step in range(40):
        middle = (low + high) / 2
        if sum(cut_to(middle)) <= room:
            low = middle
        else:
            high = middle
    return cut_to(low), low


def shape(columns, longest):
    """Portrait if the columns fit it, else landscape, in the largest type that leaves the text columns room enough.

    In landscape each smaller size is tried while text columns would be cut below TEXT_COMFORT; if none leaves
    that much, the size that cuts least. Text is never cut narrower than its label; numbers, times and codes
    are not cut at all, unless even so the columns do not fit at the smallest size: then all are narrowed alike.
    """
    portrait, wide = A4, landscape(A4)
    natural, _floors = _natural_widths(columns, longest, SIZES[0])
    if sum(natural) <= portrait[0] - 2 * MARGIN:
        page_size, size, widths = portrait, SIZES[0], natural
    else:
        page_size, room = wide, wide[0] - 2 * MARGIN
        tries = []
        for candidate in SIZES:
            squeezed = _squeeze(*_natural_widths(columns, longest, candidate), room)
            if squeezed is not None:
                tries.append((candidate, *squeezed))
                if squeezed[1] is None or squeezed[1] >= TEXT_COMFORT:
                    break
        if tries:
            # The first size that leaves text enough room; failing that, the one that cuts text least.
            size, widths, _level = max(tries, key=lambda t: (t[2] is None or t[2] >= TEXT_COMFORT, t[2] or 0, t[0]))
        else:
            size, (widths, _floors) = SIZES[-1], _natural_widths(columns, longest, SIZES[-1])
    line_width = page_size[0] - 2 * MARGIN
    total = sum(widths)
    widths = [w * line_width / total for w in widths]  # stretched (or narrowed) to fill the line
    header = [
        wrap(str(column.label), column_width - 2 * PAD, BOLD, size, HEADER_LINES)
        for column, column_width in zip(columns, widths, strict=True)
    ]
    return Shape(page_size, size, widths, header)


# --- Drawing ----------------------------------------------------------------------

TITLE_SIZE, STATEMENT_SIZE, FOOT_SIZE = 13, 8, 7
STATEMENT_LEADING = STATEMENT_SIZE * 1.4
BAND_HEIGHT = 13 * mm
RUNNING_HEAD_HEIGHT = 8 * mm


def heading_height(statement_lines):
    return BAND_HEIGHT + 3 * mm + len(statement_lines) * STATEMENT_LEADING + 3 * mm


class TextRun:
    """The text of a page's rows as PDF operators, each distinct value encoded for the font once.

    ReportLab's own text objects encode every string anew (a Python loop per character, then a
    width for the cursor): two thirds of the time of a 10,000-row listing. A listing repeats most
    of its values (agents, routes, statuses), so each is encoded once, with the font's own public
    `splitString` (which also records the characters to embed), and written as `Tj` operators.
    """

    def __init__(self, canvas):
        self.canvas = canvas
        self.document = canvas._doc  # what splitString keys its subsets on; ReportLab has no public accessor
        self.encoded = {}
        self.names = {}

    def _chunks(self, font_name, text):
        key = (font_name, text)
        chunks = self.encoded.get(key)
        if chunks is None:
            font = pdfmetrics.getFont(font_name)
            chunks = []
            for subset, codes in font.splitString(text, self.document):
                name = self.names.get((font_name, subset))
                if name is None:
                    name = self.names[font_name, subset] = font.getSubsetInternalName(subset, self.document)
                chunks.append((name, f"({escapePDF(codes)}) Tj"))
            self.encoded[key] = chunks
        return chunks

    def begin(self):
        self.code = ["BT"]
        self.current = None

    def show(self, x, y, text, font_name, size):
        code = self.code
        code.append(f"1 0 0 1 {fp_str(x)} {fp_str(y)} Tm")
        for name, show in self._chunks(font_name, text):
            if (name, size) != self.current:
                code.append(f"{name} {fp_str(size)} Tf")
                self.current = (name, size)
            code.append(show)

    def end(self):
        self.code.append("ET")
        self.canvas.addLiteral("\n".join(self.code))


class Pages:
    """One report drawn onto a canvas, page by page, with the heading on the first and the footer on each."""

    def __init__(self, output, *, airline, title, statement_lines, signature, columns, shape, pages):
        self.airline, self.title, self.signature = airline, title, signature
        self.statement_lines, self.columns, self.shape, self.pages = statement_lines, columns, shape, pages
        self.canvas = Canvas(output, pagesize=shape.page_size, pageCompression=1)
        self.canvas.setTitle(title)
        self.canvas.setAuthor(airline)
        self.page_width, self.page_height = shape.page_size
        self.lefts = [MARGIN + sum(shape.widths[:index]) for index in range(len(shape.widths))]
        self.text = TextRun(self.canvas)
        self.cut = {}  # (value, room, font): the value cut to fit

    def first_page_head(self):
        c, top = self.canvas, self.page_height - MARGIN
        c.setFillColorRGB(*NAVY)
        c.rect(MARGIN, top - BAND_HEIGHT, self.shape.line_width, BAND_HEIGHT, stroke=0, fill=1)
        c.setFillColorRGB(1, 1, 1)
        c.setFont(BOLD, TITLE_SIZE)
        baseline = top - BAND_HEIGHT / 2 - TITLE_SIZE * 0.35
        half = self.shape.line_width / 2 - 6 * mm
        c.drawString(MARGIN + 4 * mm, baseline, fit(self.airline, half, BOLD, TITLE_SIZE))
        c.drawRightString(self.page_width - MARGIN - 4 * mm, baseline, fit(self.title, half, BOLD, TITLE_SIZE))
        c.setFillColorRGB(*INK)
        c.setFont(REGULAR, STATEMENT_SIZE)
        y = top - BAND_HEIGHT - 3 * mm - STATEMENT_SIZE
        for line in self.statement_lines:
            c.drawString(MARGIN, y, line)
            y -= STATEMENT_LEADING
        return top - heading_height(self.statement_lines)

    def running_head(self):
        """Later pages repeat the title and the range in small type."""
        c, top = self.canvas, self.page_height - MARGIN
        c.setFillColorRGB(*MUTED)
        c.setFont(REGULAR, FOOT_SIZE)
        line = f"{self.title} \u00b7 {self.statement_lines[0]}"
        c.drawString(MARGIN, top - FOOT_SIZE, fit(line, self.shape.line_width, REGULAR, FOOT_SIZE))
        return top - RUNNING_HEAD_HEIGHT

    def footer(self, number):
        c = self.canvas
        c.setFillColorRGB(*MUTED)
        c.setFont(REGULAR, FOOT_SIZE)
        page = _("page %(number)s of %(pages)s") % {"number": number, "pages": self.pages}
        room = self.shape.line_width - width(page, REGULAR, FOOT_SIZE) - 6 * mm
        c.drawString(MARGIN, MARGIN, fit(self.signature, room, REGULAR, FOOT_SIZE))
        c.drawRightString(self.page_width - MARGIN, MARGIN, page)

    def header_row(self, top):
        c, shape = self.canvas, self.shape
        height, leading = shape.header_height, shape.size * 1.2
        c.setFillColorRGB(*HEADER_FILL)
        c.rect(MARGIN, top - height, shape.line_width, height, stroke=0, fill=1)
        c.setStrokeColorRGB(*RULE)
        c.setLineWidth(0.8)
        c.line(MARGIN, top - height, MARGIN + shape.line_width, top - height)
        c.setFillColorRGB(*INK)
        c.setFont(BOLD, shape.size)
        for column, left, column_width, lines in zip(self.columns, self.lefts, shape.widths, shape.header, strict=True):
            # Labels stand on the header's bottom line, as in a spreadsheet.
            y = top - height + shape.size * 0.6 + (len(lines) - 1) * leading
            for line in lines:
                if column.numeric:
                    c.drawRightString(left + column_width - PAD, y, line)
                else:
                    c.drawString(left + PAD, y, line)
                y -= leading
        return top - height

    def rows(self, top, lines):
        """The page's rows under its header: the stripes first, then all the text in one text object."""
        c, shape = self.canvas, self.shape
        height, size = shape.row_height, shape.size
        c.setFillColorRGB(*STRIPE)
        for index, (_cells, total) in enumerate(lines):
            if index % 2 == 1 and not total:
                c.rect(MARGIN, top - (index + 1) * height, shape.line_width, height, stroke=0, fill=1)
            if total:
                c.setStrokeColorRGB(*NAVY)
                c.setLineWidth(0.8)
                c.line(MARGIN, top - index * height, MARGIN + shape.line_width, top - index * height)
        c.setFillColorRGB(*INK)
        run = self.text
        run.begin()
        cells_at = list(zip(self.lefts, shape.widths, strict=True))
        for index, (cells, total) in enumerate(lines):
            font = BOLD if total else REGULAR
            baseline = top - (index + 1) * height + (height - size * 0.72) / 2
            for (value, numeric, width_at_1), (left, column_width) in zip(cells, cells_at, strict=True):
                if not value:
                    continue
                room = column_width - 2 * PAD
                drawn = width_at_1 * size
                if drawn > room:
                    cut = self.cut.get((value, room, font))
                    if cut is None:
                        cut = self.cut[value, room, font] = fit(value, room, font, size)
                    value, drawn = cut, width(cut, font, size)
                run.show(left + column_width - PAD - drawn if numeric else left + PAD, baseline, value, font, size)
        run.end()
        return top - len(lines) * height

    def nothing(self, top):
        self.canvas.setFont(REGULAR, STATEMENT_SIZE)
        self.canvas.setFillColorRGB(*MUTED)
        self.canvas.drawString(MARGIN, top - STATEMENT_SIZE, _("Nothing in this range."))


def _cells(row, columns, widths):
    """(text, numeric, width at a size of 1) of each value, as the page shows it; `widths` caches the widths."""
    cells = []
    for column in columns:
        cell = display(row.get(column.key), column)
        text = printable(cell.text)
        text_width = widths.get(text)
        if text_width is None:
            text_width = widths[text] = width(text, REGULAR, 1)
        cells.append((text, cell.numeric, text_width))
    return cells


def report_pdf(*, airline, title, heading, columns, rows, totals):
    """The report as an A4 PDF in a temporary file. `heading`: its statement lines, the last one who ran it when.

    The rows are read (as a few short strings each) before the first page is drawn, to size the columns and
    count the pages; the caller keeps their number bounded (REPORT_PDF_MAX_ROWS).
    """
    _glyphs()
    widths = {}
    lines = [(_cells(row, columns, widths), False) for row in rows]
    body_rows = len(lines)
    if totals:
        cells = _cells(totals, columns, widths)
        if not cells[0][0]:
            cells[0] = (_("Total"), False, width(_("Total"), REGULAR, 1))
        # Bold is wider than regular: measured so.
        cells = [(text, numeric, width(text, BOLD, 1)) for text, numeric, _width in cells]
        lines.append((cells, True))
    longest = [max((cells[index][2] for cells, _total in lines), default=0) for index in range(len(columns))]
    shaped = shape(columns, longest)
    heading = [printable(str(line)) for line in heading]
    statement_lines = [
        piece for line in heading for piece in wrap(line, shaped.line_width, REGULAR, STATEMENT_SIZE, max_lines=4)
    ]
    first = shaped.rows_per_page(heading_height(statement_lines))
    other = shaped.rows_per_page(RUNNING_HEAD_HEIGHT)
    pages = 1 if len(lines) <= first else 1 + math.ceil((len(lines) - first) / other)

    output = tempfile.TemporaryFile()
    drawing = Pages(
        output,
        airline=printable(str(airline)),
        title=printable(str(title)),
        statement_lines=statement_lines,
        signature=heading[-1],
        columns=columns,
        shape=shaped,
        pages=pages,
    )
    position = 0
    for number in range(1, pages + 1):
        top = drawing.first_page_head() if number == 1 else drawing.running_head()
        if body_rows:
            capacity = first if number == 1 else other
            drawing.rows(drawing.header_row(top), lines[position : position + capacity])
            position += capacity
        else:
            drawing.nothing(top)  # as on the page: no table, not even totals of nothing
        drawing.footer(number)
        drawing.canvas.showPage()
    drawing.canvas.save()
    output.seek(0)
    return output

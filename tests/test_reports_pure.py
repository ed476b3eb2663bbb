"""Pure helpers behind report pages: Markdown rendering, upload checks, TLP wording."""

import re

import pytest
from django.core.exceptions import ValidationError

from portal.markdown import render_markdown
from sharing.tlp import TLP
from sharing.uploads import check_upload, safe_display_name, sniff

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32


def test_markdown_is_rendered() -> None:
    html = render_markdown("# Heading\n\n**bold** and `code`")

    assert "<h1>Heading</h1>" in html
    assert "<strong>bold</strong>" in html
    assert "<code>code</code>" in html


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="http://x" onclick="alert(1)">x</a>',
        "<iframe src=//evil></iframe>",
    ],
)
def test_markdown_never_lets_script_through(attack: str) -> None:
    html = render_markdown(attack)
    tags = re.findall(r"<[a-z][^>]*>", html)

    assert all(tag.split()[0].strip("<>") in {"p", "a"} for tag in tags), tags
    assert not any(re.search(r"\son\w+=|javascript:", tag) for tag in tags), tags


def test_links_pass_no_referrer_and_no_opener() -> None:
    html = render_markdown("[advisory](https://vendor.example/advisory)")

    assert 'href="https://vendor.example/advisory"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_upload_type_is_decided_by_content() -> None:
    assert sniff(PDF) == "application/pdf"
    assert sniff(PNG) == "image/png"
    assert sniff(b"198.51.100.7\nevil.example\n") == "text/plain"
    assert sniff(EXE) != "application/pdf"


def test_a_pdf_is_accepted() -> None:
    verdict = check_upload(name="report.pdf", head=PDF, size=len(PDF), max_bytes=1000)

    assert verdict.content_type == "application/pdf"
    assert verdict.safe_name == "report.pdf"


def test_an_executable_named_pdf_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValidationError, match="cannot be attached"):
        check_upload(name="invoice.pdf", head=EXE, size=len(EXE), max_bytes=1000)


def test_a_png_named_pdf_is_refused_as_disguised() -> None:
    with pytest.raises(ValidationError, match=r"named \.pdf but its content is image/png"):
        check_upload(name="scan.pdf", head=PNG, size=len(PNG), max_bytes=1000)


def test_an_oversized_file_is_refused_with_the_limit() -> None:
    with pytest.raises(ValidationError, match="at most 1000"):
        check_upload(name="big.txt", head=b"a", size=5000, max_bytes=1000)


def test_display_names_lose_paths_and_markup() -> None:
    assert safe_display_name("../../etc/passwd") == "passwd"
    assert safe_display_name('C:\\temp\\<script>"x".txt') == "scriptx.txt"
    assert safe_display_name("") == "attachment"


def test_every_tlp_label_has_firsts_wording() -> None:
    assert TLP.RED.wording.startswith("For the eyes and ears of individual recipients only")
    assert "within their community" in TLP.GREEN.wording
    assert all(label.wording for label in TLP)

"""Every string a page shows is translated (the catalogs match the templates, by Babel's own
extraction), and Vietnamese text is searched and sorted the way people type and read it."""
import shutil
from pathlib import Path

import pytest

from giaitrinh_common.ui import catalogs
from giaitrinh_common.ui.search import fold, matches, sort_key

SERVICES = Path(__file__).resolve().parents[2] / "services"
ROOTS = catalogs.catalog_roots(SERVICES)


def test_the_shell_keeps_a_catalog_found_with_the_services_ones():
    assert "common/giaitrinh_common/ui" in {r.relative_to(SERVICES).as_posix() for r in ROOTS}


@pytest.mark.parametrize("root", ROOTS, ids=[r.relative_to(SERVICES).as_posix() for r in ROOTS])
def test_every_string_of_the_pages_is_translated_and_compiled(root):
    assert catalogs.extract(root), "no messages extracted: the extraction itself is broken"
    assert catalogs.problems(root) == []


@pytest.fixture
def copy_of_the_shell(tmp_path):
    root = tmp_path / "ui"
    shutil.copytree(SERVICES / "common/giaitrinh_common/ui", root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_a_template_string_missing_from_the_catalog_fails(copy_of_the_shell):
    extra = copy_of_the_shell / "templates/ui/extra.html"
    extra.write_text('{% extends "ui/base.html" %}{% block content %}{{ _("A sentence nobody translated") }}'
                     '{% endblock %}', "utf-8")
    assert catalogs.problems(copy_of_the_shell) == [
        f"{catalogs.po_path(copy_of_the_shell, 'vi')}: missing 'A sentence nobody translated' "
        "(templates/ui/extra.html:1)"]


def test_a_catalog_entry_no_template_uses_and_a_stale_compiled_catalog_fail(copy_of_the_shell):
    po = catalogs.po_path(copy_of_the_shell, "vi")
    catalog = catalogs.read_catalog(po, "vi")
    catalog.add("A sentence no page shows", "Một câu không trang nào dùng")
    catalogs._write(po, catalog)
    found = catalogs.problems(copy_of_the_shell)
    assert f"{po}: no source uses 'A sentence no page shows'" in found
    assert any(line.startswith(f"{po.with_suffix('.mo')}: out of date") for line in found)


def test_update_adds_new_strings_untranslated_and_compiles(copy_of_the_shell):
    (copy_of_the_shell / "templates/ui/extra.html").write_text('{{ _("New words") }}', "utf-8")
    catalogs.update(copy_of_the_shell)
    assert catalogs.problems(copy_of_the_shell) == [
        f"{catalogs.po_path(copy_of_the_shell, 'vi')}: not translated 'New words' (templates/ui/extra.html:1)"]


def test_a_search_typed_without_diacritics_finds_the_name_with_them():
    assert fold("Phường Nam Đông Hà") == "phuong nam dong ha"
    assert matches("nam dong ha", "Phường Nam Đông Hà")
    assert matches("NAM  ĐÔNG hà", "Phường Nam Đông Hà")
    assert matches("ha nam", "Phường Nam Đông Hà")  # every word, in any order
    assert not matches("nam dong hai", "Phường Nam Đông Hà")
    # Composed and decomposed forms of the same letters are the same text.
    assert matches("Đông Hà", "Phường Nam \u0110o\u0302ng Ha\u0300")


def test_vietnamese_order_puts_each_letter_after_its_base_and_the_tones_last():
    words = ["Đông", "Ân", "Dương", "Ba", "An", "Ăn", "Đồng", "Cam", "Ấn", "Ơn", "Ô", "O"]
    assert sorted(words, key=sort_key) == ["An", "Ăn", "Ân", "Ấn", "Ba", "Cam", "Dương", "Đông", "Đồng",
                                            "O", "Ô", "Ơn"]

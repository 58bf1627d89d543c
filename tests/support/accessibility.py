"""axe-core in a page: the one way the browser tests ask whether a page is accessible.

axe (deploy/axe, installed by ``bootstrap.sh --test`` into .cache/axe) is put into the page as a
script tag, so the page's context must bypass the gateway's CSP (``script-src 'self'`` refuses the
tag, as it should); the contexts that check the CSP itself are separate.
"""

from __future__ import annotations

from tests.support.fixtures import PROJECT_ROOT

AXE = PROJECT_ROOT / ".cache/axe/node_modules/axe-core/axe.min.js"

GRAVE = {"serious", "critical"}


def grave_violations(page) -> list[str]:
    """The serious and critical violations axe finds on the page as it is now, each as
    ``rule (impact): [first targets]``; fails when axe checked nothing (an empty page passes
    nothing)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    assert result["passes"], f"axe checked nothing on {page.url}"
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in GRAVE]

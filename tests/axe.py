"""axe-core in a Playwright page: run the WCAG 2.1 A/AA rules and report violations readably.

The engine is the npm package ``axe-core`` (pinned in package.json, ``npm ci`` installs it);
it is injected as a script, so it runs under the app's Content-Security-Policy as well.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

AXE_JS = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


@dataclass(frozen=True)
class Violation:
    """One failed rule on one element."""

    rule: str
    impact: str
    help: str
    target: str
    html: str

    def __str__(self) -> str:
        return f"{self.rule} [{self.impact}] {self.target}: {self.help}\n      {self.html}"


@cache
def axe_source() -> str:
    """Return the axe-core script (read once per test run)."""
    if not AXE_JS.is_file():
        raise FileNotFoundError(f"{AXE_JS} is missing: run `npm ci` (make install does).")
    return AXE_JS.read_text(encoding="utf-8")


def _selector(target) -> str:
    """Return an axe target (a list, nested for frames and shadow roots) as one string."""
    if isinstance(target, list):
        return " >> ".join(_selector(part) for part in target)
    return str(target)


# Served to the pages by Playwright (never by the app) under the site's own origin, so that the
# Content-Security-Policy (script-src 'self') admits it and Chromium caches the compiled script.
AXE_PATH = "/__axe__/axe.min.js"


def serve_axe(context) -> None:
    """Let every page of a Playwright browser context load axe from its own origin."""
    context.route(
        f"**{AXE_PATH}",
        lambda route: route.fulfill(
            body=axe_source(),
            content_type="application/javascript",
            headers={"Cache-Control": "max-age=3600"},
        ),
    )
    context.axe_served = True


def _inject(page) -> None:
    """Load axe into the page's document unless it is there already."""
    if page.evaluate("() => typeof window.axe === 'object'"):
        return
    if getattr(page.context, "axe_served", False) and page.url.startswith("http"):
        page.add_script_tag(url=AXE_PATH)
    else:
        # A page without an origin (set_content): evaluate the source in its main world; an
        # inline <script> would be refused by the CSP of the app's pages.
        page.evaluate(f"() => {{ {axe_source()}\n window.axe = axe; }}")


def run_axe(page, tags: tuple[str, ...] = WCAG_TAGS) -> list[Violation]:
    """Inject axe into the page (once per document) and return its violations, one per element."""
    _inject(page)
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {
                runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']
            });
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html}))
            }));
        }""",
        list(tags),
    )
    return [
        Violation(
            rule=v["id"],
            impact=v["impact"] or "",
            help=v["help"],
            target=_selector(node["target"]),
            html=" ".join(node["html"].split())[:300],
        )
        for v in result
        for node in v["nodes"]
    ]


def report(found: dict[str, list[Violation]]) -> str:
    """Return a readable failure message: per page, each violation with rule, impact, target."""
    lines = []
    for where, violations in found.items():
        lines.append(f"{where}: {len(violations)} violation(s)")
        lines.extend(f"  - {v}" for v in violations)
    return "\n".join(lines)

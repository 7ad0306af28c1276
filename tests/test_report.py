"""HTML reports and PNG figures (``truce run/timeline --report PATH --figures DIR``).

The report must open with no network: Plotly's JavaScript is inlined, no element loads
anything (no ``<script src>``, ``<link>``, ``<img src>``), and every text that comes from
a scenario or a world is escaped.  Tags and attributes are read with
:class:`html.parser.HTMLParser`, so strings inside the inlined JavaScript (Plotly's own
source mentions addresses) are not mistaken for attributes.
"""

from __future__ import annotations

import dataclasses
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs
from typer.testing import CliRunner

import truce
from truce.cli.main import app
from truce.report import charts, render

RUNNER = CliRunner(env={"COLUMNS": "400"})
EXIT_OK, EXIT_MODEL_FAILED, EXIT_BAD_INPUT = 0, 1, 2  # CONTRACTS.md §4
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Two dates, three phases: before the US tariff, the tariff alone, then with a reply.
DATED = """\
name: report-path
description: A US tariff on China from February, China's reply from April <"&'>.
world: default
measures:
  - kind: tariff
    by: USA
    on: CHN
    rate: 0.25
    start: 2025-02-04
  - kind: tariff
    by: CHN
    on: USA
    rate: 0.10
    start: 2025-04-10
"""

# The smallest scenario that moves the cp2015 world (as in test_cli.py).
SMALL = """\
name: report-small
measures:
  - kind: tariff
    by: USA
    on: CHN
    rate: 0.25
"""


def invoke(*args: object):
    return RUNNER.invoke(app, [str(a) for a in args])


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the text of each script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def parse(text: str) -> _Elements:
    parser = _Elements()
    parser.feed(text)
    parser.close()
    return parser


def assert_self_contained(text: str) -> None:
    """No element loads anything from elsewhere, and Plotly is inlined once."""
    assert "<script src" not in text
    assert 'src="http' not in text
    doc = parse(text)
    for tag, attrs in doc.tags:
        assert tag not in {"link", "img", "iframe", "object", "embed"}, (tag, attrs)
        assert "src" not in attrs, (tag, attrs)
        href = attrs.get("href")
        assert href is None or href.startswith("#"), (tag, attrs)
    # Outside the scripts there is no remote address in an attribute at all.
    markup = re.sub(r"<script>.*?</script>", "", text, flags=re.DOTALL)
    assert 'href="http' not in markup and 'src="http' not in markup
    plotly_js = get_plotlyjs()
    assert sum(plotly_js in script for script in doc.scripts) == 1
    assert max(len(script) for script in doc.scripts) > 1_000_000


def section_ids(text: str) -> list[str]:
    return [attrs["id"] or "" for tag, attrs in parse(text).tags if tag == "section"]


def assert_pngs(folder: Path, names: tuple[str, ...]) -> None:
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.png" for n in names)
    for name in names:
        data = (folder / f"{name}.png").read_bytes()
        assert len(data) > 1000 and data.startswith(PNG_MAGIC), name


# ------------------------------------------------------------------------------- run


@pytest.fixture(scope="module")
def busan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``truce run busan-deal --report --figures`` on the default world, once."""
    folder = tmp_path_factory.mktemp("report")
    result = invoke(
        "run",
        "busan-deal",
        "--quiet",
        "--report",
        folder / "out" / "busan.html",
        "--figures",
        folder / "figures",
    )
    assert result.exit_code == EXIT_OK, (result.output, result.exception)
    return folder


def test_run_report_has_every_section(busan: Path) -> None:
    text = (busan / "out" / "busan.html").read_text(encoding="utf-8")
    assert section_ids(text) == list(render.RUN_SECTIONS)
    for chart in ("welfare", "trade-change", "us-china", "prices", "revenue"):
        assert f'id="chart-{chart}"' in text


def test_run_report_is_self_contained(busan: Path) -> None:
    assert_self_contained((busan / "out" / "busan.html").read_text(encoding="utf-8"))


def test_run_report_quotes_the_scenario_and_provenance(busan: Path) -> None:
    text = (busan / "out" / "busan.html").read_text(encoding="utf-8")
    spec = truce.load_scenario("busan-deal")
    world = truce.load_world("default")
    assert spec.text is not None
    assert f'<pre class="scenario-text">{html.escape(spec.text)}</pre>' in text
    for source in world.sources:
        assert html.escape(source) in text
    # Measures: one row per measure, the soybean floor binding.
    measures = text[text.index('<section id="measures">') : text.index('<section id="scenario">')]
    assert measures.count("<tr>") == 1 + len(spec.measures)  # the heading row and one each
    assert "import_floor" in measures


def test_run_figures_are_pngs(busan: Path) -> None:
    assert_pngs(busan / "figures", charts.RUN_CHARTS)


def test_text_from_the_scenario_is_escaped(busan: Path) -> None:
    """Scenario text cannot add markup or end a script; the report stays self-contained."""
    spec = truce.load_scenario("busan-deal")
    world = truce.load_world("default")
    result = truce.run(world, spec)
    hostile = '</pre><script src="https://example.com/x.js"></script>&amp;'
    tricked = dataclasses.replace(spec, description=hostile, text=hostile)
    text = render.render_html(result, scenario=tricked, world=world)
    assert hostile not in text
    assert html.escape(hostile) in text
    assert_self_contained(text)


# -------------------------------------------------------------------------- timeline


def test_timeline_report_and_figures(tmp_path: Path) -> None:
    scenario = tmp_path / "dated.yaml"
    scenario.write_text(DATED, encoding="utf-8")
    report, figures = tmp_path / "timeline.html", tmp_path / "figures"
    result = invoke("timeline", scenario, "--quiet", "--report", report, "--figures", figures)
    assert result.exit_code == EXIT_OK, (result.output, result.exception)
    text = report.read_text(encoding="utf-8")
    assert section_ids(text) == list(render.TIMELINE_SECTIONS)
    assert 'id="chart-timeline-welfare"' in text
    assert 'id="chart-timeline-us-china"' in text
    for label in ("before 2025-02-04", "2025-02-04 to 2025-04-10", "from 2025-04-10"):
        assert label in text
    assert html.escape(DATED) in text
    assert_self_contained(text)
    assert_pngs(figures, charts.TIMELINE_CHARTS)


# ------------------------------------------------------------------------ exit codes


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_report_into_a_folder_is_bad_input(small: Path, tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    result = invoke("run", small, "--world", "cp2015", "--quiet", "--report", folder)
    assert result.exit_code == EXIT_BAD_INPUT, (result.output, result.exception)
    assert "cannot write the report" in " ".join(result.stderr.split())
    assert list(folder.iterdir()) == []


def test_figures_onto_a_file_is_bad_input(small: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    result = invoke("run", small, "--world", "cp2015", "--quiet", "--figures", blocker)
    assert result.exit_code == EXIT_BAD_INPUT, (result.output, result.exception)
    assert "cannot write the figures" in " ".join(result.stderr.split())


def test_failed_solve_writes_no_report(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = invoke(
        "run",
        small,
        "--world",
        "cp2015",
        "--max-iterations",
        "1",
        "--report",
        out / "r.html",
        "--figures",
        out / "figures",
    )
    assert result.exit_code == EXIT_MODEL_FAILED, (result.output, result.exception)
    assert list(out.iterdir()) == []

"""The report's HTML pages: chapter pages, the contents page and the language switch.

Every chapter is rendered in both languages in the same build.  The default
language (``build_report(language=...)``, ``greensurvey report --language``)
gets the plain names, the other language a ``.<language>`` suffix::

    index.html      01-data-cleaning.html      ...   default language
    index.en.html   01-data-cleaning.en.html   ...   the other language

Each page links to the same page in the other language (``data-lang-switch``),
so the switch is a plain link: no script, no network.  :class:`PageRenderer`
turns an executed notebook into a self-contained page (code hidden, images
embedded, no external scripts, banner, navigation and switch added) and
:func:`index_html` writes the contents page, listing every chapter, with
"not run: <reason>" and the lines of ``survey.yaml`` that would make a chapter
run for those the wave cannot support.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .i18n import LANGUAGES, TEXT, check_language, pick, t

if TYPE_CHECKING:
    import nbformat

__all__ = [
    "CSS",
    "ChapterEntry",
    "PageRenderer",
    "banner_html",
    "chapter_title",
    "footer_html",
    "index_html",
    "index_name",
    "nav_html",
    "other_language",
    "page_name",
    "render_chapter",
    "switch_html",
]

CSS = """
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei",
  system-ui, sans-serif; }
.gs-banner { background: #b00020; color: #fff; padding: .6em 1em; font-weight: bold;
  text-align: center; position: sticky; top: 0; z-index: 10; }
.gs-nav, .gs-footer { max-width: 1100px; margin: .8em auto; padding: 0 1em; color: #444; }
.gs-nav a { margin-right: 1.2em; }
.gs-nav a.gs-lang { float: right; margin-right: 0; }
.gs-footer { border-top: 1px solid #ddd; padding-top: .6em; font-size: .85em; }
.gs-page { max-width: 1100px; margin: 0 auto; padding: 0 1em 2em; line-height: 1.6; }
table.gs-table { border-collapse: collapse; margin: .8em 0 .3em; font-size: .92em; }
table.gs-table caption { text-align: left; font-weight: bold; padding: .3em 0; }
table.gs-table th, table.gs-table td { border-bottom: 1px solid #ddd; padding: .25em .6em;
  text-align: right; }
table.gs-table th[scope=row] { text-align: left; font-weight: normal; min-width: 10em; }
table.gs-table td { white-space: nowrap; }
table.gs-table thead th { background: #eef3f8; text-align: center; }
td.gs-est { font-weight: bold; }
p.gs-note { font-size: .85em; color: #555; margin-top: 0; }
ol.gs-contents li.gs-not-run { color: #666; }
.gs-reason { font-style: italic; }
pre.gs-howto { background: #f6f6f6; padding: .4em .8em; margin: .2em 0 .6em; font-size: .85em;
  color: #333; white-space: pre-wrap; }
"""

_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}<style type="text/css">{{ resources.gs_css }}</style>{% endblock extra_css %}
{%- block body_header -%}{{ super() }}{{ resources.gs_header }}{%- endblock body_header -%}
{% block body_footer %}{{ resources.gs_footer }}{{ super() }}{% endblock body_footer %}
"""

# The switch names the other language in that language, as language menus do.
_LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
_NOT_RUN = {"zh": "未运行", "en": "not run"}
_HOW_TO = {"zh": "在 survey.yaml 中声明：", "en": "to run it, declare in survey.yaml:"}


def other_language(language: str) -> str:
    """Return the report's other language (``"en"`` for ``"zh"`` and back).

    Parameters
    ----------
    language : {"zh", "en"}

    Returns
    -------
    str
        The other language.
    """
    check_language(language)
    return next(x for x in LANGUAGES if x != language)


def page_name(stem: str, language: str, default: str) -> str:
    """File name of a chapter page: ``<stem>.html`` in the default language, else ``<stem>.<language>.html``.

    Parameters
    ----------
    stem : str
        Notebook stem (``"index"`` for the contents page).
    language : {"zh", "en"}
        Language of the page.
    default : {"zh", "en"}
        The report's default language.

    Returns
    -------
    str
        The file name.
    """
    return f"{stem}.html" if language == default else f"{stem}.{language}.html"


def index_name(language: str, default: str) -> str:
    """File name of the contents page in ``language`` (see :func:`page_name`).

    Parameters
    ----------
    language : {"zh", "en"}
        Language of the page.
    default : {"zh", "en"}
        The report's default language.

    Returns
    -------
    str
        ``index.html`` or ``index.<language>.html``.
    """
    return page_name("index", language, default)


def chapter_title(stem: str, language: str) -> str:
    """The chapter's title from the i18n catalogue (``chapter.<stem>``), else the stem.

    Parameters
    ----------
    stem : str
        Notebook stem.
    language : {"zh", "en"}
        Language of the title.

    Returns
    -------
    str
        The title.
    """
    key = f"chapter.{stem}"
    return t(key, language) if key in TEXT else stem


def banner_html(synthetic: bool, language: str) -> str:
    """The synthetic-data banner (empty for a real wave).

    Parameters
    ----------
    synthetic : bool
        Whether the wave is simulated.
    language : {"zh", "en"}
        Language of the banner.

    Returns
    -------
    str
        HTML, empty when ``synthetic`` is false.
    """
    if not synthetic:
        return ""
    return (f'<div class="gs-banner" role="note" data-synthetic="true">'
            f'{html.escape(t("report.synthetic", language))}</div>')


def switch_html(href: str, language: str) -> str:
    """The link to the same page in ``language``, named in that language.

    Parameters
    ----------
    href : str
        File name of the page in ``language``.
    language : {"zh", "en"}
        The language switched to.

    Returns
    -------
    str
        An ``<a data-lang-switch>`` element.
    """
    lang_attr = "zh-CN" if language == "zh" else "en"
    return (f'<a class="gs-lang" href="{html.escape(href)}" hreflang="{lang_attr}" '
            f'lang="{lang_attr}" data-lang-switch="{language}">'
            f'{html.escape(_LANGUAGE_NAMES[language])}</a>')


def nav_html(stems: Sequence[str], i: int | None, language: str, default: str | None = None) -> str:
    """Build the navigation: index, previous/next chapter of chapter ``i``, other language.

    Parameters
    ----------
    stems : sequence of str
        The chapters that have pages, in order.
    i : int or None
        Position of this page's chapter in ``stems`` (None: the contents page).
    language : {"zh", "en"}
        Language of this page.
    default : {"zh", "en"}, optional
        The report's default language, which decides file names (default:
        ``language``, so links carry no suffix).

    Returns
    -------
    str
        A ``<nav>`` element.
    """
    default = default or language
    other = other_language(language)

    def name(stem: str, lang: str) -> str:
        return page_name(stem, lang, default)

    links = [f'<a href="{index_name(language, default)}" data-nav="index">'
             f'{html.escape(t("report.back", language))}</a>']
    if i is not None and i > 0:
        links.append(f'<a href="{name(stems[i - 1], language)}" data-nav="previous">'
                     f'{html.escape(t("report.previous", language))}</a>')
    if i is not None and i + 1 < len(stems):
        links.append(f'<a href="{name(stems[i + 1], language)}" data-nav="next">'
                     f'{html.escape(t("report.next", language))}</a>')
    target = index_name(other, default) if i is None else name(stems[i], other)
    links.append(switch_html(target, other))
    return f'<nav class="gs-nav">{"".join(links)}</nav>'


def footer_html(wave: str, language: str, commit: str) -> str:
    """Page footer: wave, package version and git commit.

    Parameters
    ----------
    wave : str
        Wave id.
    language : {"zh", "en"}
        Language of the footer.
    commit : str
        Git commit of the notebooks ("" to leave it out).

    Returns
    -------
    str
        A ``<footer>`` element.
    """
    from .._version import __version__

    parts = [t("report.wave", language, wave=wave), t("report.generated", language, version=__version__)]
    if commit:
        parts.append(f"git {commit}")
    return f'<footer class="gs-footer">{html.escape(" · ".join(parts))}</footer>'


class PageRenderer:
    """Renders executed notebooks to HTML, one nbconvert exporter per language.

    Building the exporter (templates, preprocessors) costs more than rendering
    a page, so a build makes one renderer and reuses it for every page.
    """

    def __init__(self) -> None:
        self._exporters: dict[str, Any] = {}

    def _exporter(self, language: str) -> Any:
        if language not in self._exporters:
            from jinja2 import DictLoader
            from nbconvert import HTMLExporter
            from nbconvert.preprocessors import TagRemovePreprocessor

            remove = TagRemovePreprocessor(remove_cell_tags={
                "remove", "remove-cell", f"lang-{other_language(language)}",
                "injected-parameters", "parameters"})
            exporter = HTMLExporter(template_name="lab", template_file="greensurvey.html.j2",
                                    extra_loaders=[DictLoader({"greensurvey.html.j2": _TEMPLATE})],
                                    exclude_input=True, exclude_input_prompt=True,
                                    exclude_output_prompt=True, embed_images=True,
                                    language_code=language)
            exporter.register_preprocessor(remove, enabled=True)
            self._exporters[language] = exporter
        return self._exporters[language]

    def render(self, nb: nbformat.NotebookNode, *, title: str, language: str, header: str = "",
               footer: str = "") -> str:
        """HTML of an executed notebook: code hidden, images embedded, no external scripts.

        Parameters
        ----------
        nb : NotebookNode
            The executed notebook.
        title : str
            Page title.
        language : {"zh", "en"}
            Cells tagged ``lang-<other language>`` are dropped, as are cells
            tagged ``remove``, ``remove-cell``, ``parameters`` and
            ``injected-parameters``.
        header : str
            HTML opening the body (banner, navigation).
        footer : str
            HTML closing the body.

        Returns
        -------
        str
            The page.
        """
        check_language(language)
        nb.metadata["title"] = title
        resources = {"gs_css": CSS, "gs_header": header, "gs_footer": footer,
                     "metadata": {"name": title}}
        body, _ = self._exporter(language).from_notebook_node(nb, resources=resources)
        return str(body)


def render_chapter(nb: nbformat.NotebookNode, *, title: str, language: str, header: str = "",
                   footer: str = "") -> str:
    """HTML of an executed notebook (see :meth:`PageRenderer.render`).

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook.
    title : str
        Page title.
    language : {"zh", "en"}
        Language of the page.
    header : str
        HTML opening the body.
    footer : str
        HTML closing the body.

    Returns
    -------
    str
        The page.
    """
    return PageRenderer().render(nb, title=title, language=language, header=header, footer=footer)


@dataclass(frozen=True)
class ChapterEntry:
    """One line of the contents page.

    Attributes
    ----------
    chapter : str
        Notebook stem.
    title : dict
        ``{"zh", "en"}`` title (empty: from the i18n catalogue, else the stem).
    runs : bool
        Whether the chapter was built (has a page).
    reason : dict
        ``{"zh", "en"}`` why it was not run.
    how_to : str
        The ``survey.yaml`` lines that would make it run.
    note : dict
        ``{"zh", "en"}`` a remark on a chapter that runs in a reduced form.
    """

    chapter: str
    title: dict[str, str] = field(default_factory=dict)
    runs: bool = True
    reason: dict[str, str] = field(default_factory=dict)
    how_to: str = ""
    note: dict[str, str] = field(default_factory=dict)

    def title_in(self, language: str) -> str:
        """The title in ``language``.

        Parameters
        ----------
        language : {"zh", "en"}

        Returns
        -------
        str
            From :attr:`title`, else the i18n catalogue, else the stem.
        """
        return pick(self.title, language) if self.title else chapter_title(self.chapter, language)


def _reason(entry: ChapterEntry, language: str) -> str:
    text = pick(entry.reason, language) if entry.reason else ""
    # Reasons may or may not start with "not run"; say it once.
    prefix = _NOT_RUN[language]
    if not text.lower().startswith(prefix.lower()):
        text = f"{prefix}：{text}" if language == "zh" else f"{prefix}: {text}"
    return text.rstrip("：: ")


def index_html(*, title: str, language: str, entries: Sequence[ChapterEntry],
               headlines: Sequence[Any], synthetic: bool, footer: str, downloads: Sequence[str],
               default: str | None = None) -> str:
    """The contents page: banner, every chapter, headline tables, downloads, language switch.

    Parameters
    ----------
    title : str
        Report title in ``language``.
    language : {"zh", "en"}
        Language of the page.
    entries : sequence of ChapterEntry
        Every chapter in order; those with ``runs=False`` are listed with
        "not run: <reason>" and the how-to, without a link.
    headlines : sequence of Table
        Tables shown on the contents page.
    synthetic : bool
        Show the synthetic-data banner.
    footer : str
        Footer HTML.
    downloads : sequence of str
        File names linked under "Downloads".
    default : {"zh", "en"}, optional
        The report's default language (decides file names; default ``language``).

    Returns
    -------
    str
        The page.
    """
    esc = html.escape
    default = default or language
    lang_attr = "zh-CN" if language == "zh" else "en"
    items = []
    for e in entries:
        name = esc(e.title_in(language))
        if e.runs:
            note = pick(e.note, language) if e.note else ""
            extra = f' <span class="gs-note">({esc(note)})</span>' if note else ""
            items.append(f'<li><a href="{page_name(e.chapter, language, default)}" '
                         f'data-chapter="{e.chapter}">{name}</a>{extra}</li>')
        else:
            howto = (f'<div>{esc(_HOW_TO[language])}</div><pre class="gs-howto">{esc(e.how_to)}</pre>'
                     if e.how_to else "")
            items.append(f'<li class="gs-not-run" data-chapter="{e.chapter}" data-run="false">'
                         f'{name} — <span class="gs-reason">{esc(_reason(e, language))}</span>'
                         f"{howto}</li>")
    tables = "".join(tab.to_html(language) for tab in headlines)
    files = " · ".join(f'<a href="{esc(f)}">{esc(f)}</a>' for f in downloads)
    heads = (f"<h2>{esc(t('report.headlines', language))}</h2>{tables}" if tables else "")
    nav = nav_html([], None, language, default).replace(
        f'<a href="{index_name(language, default)}" data-nav="index">'
        f'{esc(t("report.back", language))}</a>', "")
    return (f'<!DOCTYPE html>\n<html lang="{lang_attr}">\n<head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1.0">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body>"
            f"{banner_html(synthetic, language)}{nav}<main class=\"gs-page\"><h1>{esc(title)}</h1>"
            f"<h2>{esc(t('report.contents', language))}</h2><ol class=\"gs-contents\">"
            f"{''.join(items)}</ol>"
            f"{heads}<h2>{esc(t('report.downloads', language))}</h2><p>{files}</p>"
            f"<p>{esc(t('report.findings_files', language))}</p></main>{footer}</body>\n</html>\n")

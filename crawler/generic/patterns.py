"""Class/id patterns and tag sets of the generic extractor (after Mozilla Readability's heuristics)."""

from __future__ import annotations

import re

# The class/id patterns are matched against lower-cased text (faster than re.IGNORECASE).

#: class/id of blocks that are almost never the article (removed before scoring).
UNLIKELY = re.compile(
    r"-ad-|ai2html|banner|breadcrumbs|combx|comment|community|cover-wrap|disqus|extra|footer|gdpr|header"
    r"|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental"
    r"|ad-break|agegate|pagination|pager|popup|yom-remote|newsletter|cookie|consent|most-read|mostread"
    r"|trending|recommend|outbrain|taboola",
)
#: ... unless they also look like the article.
MAYBE = re.compile(r"and|article|body|column|content|main|mathjax|shadow")
POSITIVE = re.compile(r"article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story")
NEGATIVE = re.compile(
    r"-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|footer|gdpr|masthead|media|meta"
    r"|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|widget|taboola"
    r"|newsletter|recirc",
)
PAYWALL = re.compile(r"paywall", re.I)
HIDDEN_CLASSES = frozenset(
    {"hidden", "d-none", "is-hidden", "hide", "visually-hidden", "sr-only", "screen-reader-text"}
)
SHARE = re.compile(r"(\b|_)(share|sharedaddy|social|sharing)(\b|_)", re.I)
BYLINE = re.compile(r"byline|author|dateline|writtenby|p-author")
#: Whole-block texts that are ad labels or loading placeholders.
AD_WORDS = re.compile(
    r"^(ad(vertising|vertisement)?|pub(licité)?|werb(ung)?|广告|Реклама|Anuncio|anzeige|publicidad)$", re.I
)
LOADING_WORDS = re.compile(r"^((loading|正在加载|Загрузка|chargement|cargando)(…|\.\.\.)?)$", re.I)
COMMAS = re.compile("[\u002c\u060c\ufe50\ufe10\ufe11\u2e41\u2e34\u2e32\uff0c]")
SENTENCE_END = re.compile(r"\.( |$)")
VIDEO_HOSTS = re.compile(
    r"//(www\.)?((dailymotion|youtube|youtube-nocookie|player\.vimeo|v\.qq)\.com|(archive|upload\.wikimedia)\.org"
    r"|player\.twitch\.tv)",
    re.I,
)

UNLIKELY_ROLES = frozenset(
    {"menu", "menubar", "complementary", "navigation", "alert", "alertdialog", "dialog"}
)
#: Tags removed with their content before anything else.
DROP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "link",
        "meta",
        "button",
        "input",
        "select",
        "textarea",
        "object",
        "embed",
        "canvas",
        "dialog",
        "head",
        "title",
    }
)
TAGS_TO_SCORE = frozenset({"section", "h2", "h3", "h4", "h5", "h6", "p", "td", "pre"})
DIV_TO_P = frozenset({"blockquote", "dl", "div", "img", "ol", "p", "pre", "table", "ul"})
ALTER_TO_DIV_EXCEPTIONS = frozenset({"div", "article", "section", "p", "ol", "ul"})
PHRASING = frozenset(
    {
        "abbr",
        "audio",
        "b",
        "bdo",
        "br",
        "button",
        "cite",
        "code",
        "data",
        "datalist",
        "dfn",
        "em",
        "embed",
        "i",
        "img",
        "input",
        "kbd",
        "label",
        "mark",
        "math",
        "meter",
        "noscript",
        "object",
        "output",
        "progress",
        "q",
        "ruby",
        "samp",
        "script",
        "select",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "textarea",
        "time",
        "var",
        "wbr",
        "font",
        "u",
        "s",
        "strike",
        "tt",
        "big",
    }
)
#: Phrasing only when all their children are phrasing.
MAYBE_PHRASING = frozenset({"a", "del", "ins"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
TEXTISH = frozenset({"span", "li", "td"}) | DIV_TO_P
EMPTY_ALLOWED = frozenset({"div", "section", "header", "h1", "h2", "h3", "h4", "h5", "h6"})
LEAD_TAGS = ("p", "div", "h2", "span", "section", "ul")
LEAD_CLASS = re.compile(
    r"lead|intro|teaser|standfirst|summary|excerpt|abstract|(?:^|[-_ ])dek(?:$|[-_ ])|deck|subtitle|sub-title"
    r"|subheadline|subhead|description|chapo|chapeau|entradilla|bajada|sottotitolo",
    re.I,
)

"""Boilerplate cleaning: what is removed and counted, and the exact body_html / body_text produced."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from lxml import etree

from crawler.cleaning import CleanedContent, clean_article, clean_content
from crawler.items import Article, Image

BASE = "https://thediplomaticinsight.com/icaft-conference-of-oas-led-by-mexico/"

#: The seven body paragraphs of the seed article, as a reader saw them (``shared/seed``).
SEED_PARAGRAPHS = (
    (
        "Mexico City, 6 October 2021 (TDI): The Fifth Conference of Member States part of the Inter-"
        "American Convention against Arms Fabrication and Trafficking (ICAFT); ammunition, explosives, "
        "and other materials; the meeting was virtual from the headquarters of the Organization of "
        "American States, on 5 October."
    ),
    (
        "According to the Media Note; Mexico was chair for the ICAT; then they highlighted the priority "
        "for the foreign policy of actions to strengthen cooperation against trafficking; and diversion "
        "of the arms and ammunition trade."
    ),
    (
        "The Office shared that the States discussed several topics. Mexico also promoted a dialogue "
        "between OAS Members; observer countries, and representatives of other international "
        "organizations; research centers, and civil organizations, through three panels. According to the"
        " Media Note; the Conference analyzed the need to create synergies between instruments and "
        "international forums related to preventing arms trafficking."
    ),
    (
        "The Conference also presented experiences regarding new technologies, to deal with the illegal "
        "fabrication and commerce of arms; also to track and then register them. The States also "
        "exchanged information regarding how the arms are related to drugs and human trafficking."
    ),
    (
        "A legal consultant of the SRE, Alejandro Celorio; urged the Member States to counteract these "
        "practices. Celorio also shared the lawsuit filed by the Government; against US companies that "
        "have engaged in these practices. Celorio then shared that the consequences of those practices "
        "were seen in the increase of violence; and also to the power of the criminal organizations."
    ),
    (
        "The ICAFT Conference adopted 21 recommendations; like achieving a more effective cross-border "
        "cooperation for prevention, investigation, and prosecution; to promote an integral vision "
        "regarding the illegal markets, and dealing with the problem of ammunition and explosives."
    ),
    (
        "Other recommendations of the Conference were to promote a people-centered approach, to center on"
        " the victim; and also to be sensitive to gender perspective, and also for the attention to the "
        "most affected groups; all the recommendations were proposed by Mexico. Finally, the Conference "
        "called upon the States that have not joined ICAT, Canada, the US, and Jamaica; to ratify it."
    ),
)

SEED_BIO = (
    "International Relations student at the Universidad de Navarra in Spain. Main interests are the work "
    "of International Organizations like the UN in the scope of humanitarian assistance to vulnerable "
    "human beings and the environment"
)

ALLOWED_TAGS = {"p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "table", "thead", "tbody"}
ALLOWED_TAGS |= {"tr", "th", "td", "figure", "figcaption", "img", "a", "strong", "em", "b", "i", "br"}
ALLOWED_ATTRS = {"a": {"href"}, "img": {"src", "alt", "width", "height"}, "figure": {"class", "data-kind"}}


def _ad(slot: str) -> str:
    return (
        f'<div class="td-a-ad id_{slot} id_ad_content-horiz-center">'
        '<span class="td-adspot-title">- Advertisement -</span>'
        '<ins class="adsbygoogle" style="display:inline-block;width:300px;height:250px"'
        ' data-ad-client="ca-pub-1" data-ad-slot="2"></ins>'
        "<script>(adsbygoogle = window.adsbygoogle || []).push({});</script></div>"
    )


def _seed_region() -> str:
    """The seed article's content region as the Newspaper theme renders it, boilerplate included."""
    paragraphs = [f"<p>{p}</p>" for p in SEED_PARAGRAPHS]
    # Source formatting: a line break and a no-break space inside a paragraph.
    paragraphs[1] = paragraphs[1].replace("Media Note; ", "Media\n            Note;&nbsp;")
    paragraphs[3] = paragraphs[3].replace("new technologies", "<strong>new</strong> technologies")
    share = (
        '<div class="td_block_wrap tdb_single_post_share tdi_31 td-pb-border-top td_block_template_1">'
        '<div class="td-post-sharing-visible"><a class="td-social-sharing-button td-social-facebook"'
        ' href="https://www.facebook.com/sharer.php?u=https%3A%2F%2Fthediplomaticinsight.com%2F">'
        '<div class="td-social-but-icon"><i class="td-icon-facebook"></i></div>'
        '<div class="td-social-but-text">Facebook</div></a>'
        '<a class="td-social-sharing-button td-social-twitter" href="https://twitter.com/intent/tweet?text=ICAFT">'
        '<div class="td-social-but-text">Twitter</div></a></div></div>'
    )
    author_box = (
        '<div class="tdb-author-box td_block_wrap tdb_single_author_box tdi_40 tdb-content-vert-top">'
        '<div class="tdb-block-inner td-fix-index">'
        '<a href="https://thediplomaticinsight.com/author/carla-esparza-arteaga/" class="tdb-author-photo"'
        ' title="Carla Esparza Arteaga"><img alt="Carla Esparza Arteaga" src="/avatar.jpg"></a>'
        '<div class="tdb-author-info">'
        '<a href="https://thediplomaticinsight.com/author/carla-esparza-arteaga/" class="tdb-author-name">'
        "Carla Esparza Arteaga</a>"
        '<a href="https://thediplomaticinsight.com" class="tdb-author-url">https://thediplomaticinsight.com</a>'
        f'<div class="tdb-author-descr">{SEED_BIO}</div></div></div></div>'
    )
    follow = (
        '<div class="td_block_wrap td_block_title tdi_45 td-pb-border-top td_block_template_1">'
        '<div class="td-block-title-wrap"><h4 class="td-block-title">'
        '<span class="td-pulldown-size">Follow us</span></h4></div></div>'
        '<div class="td_block_wrap td_block_social_counter tdi_46 td-social-style8">'
        '<div class="td-social-list"><div class="td_social_type td-social-facebook">'
        '<div class="td-social-box"><div class="td-sp td-sp-facebook"></div>'
        '<span class="td_social_info">12,345</span><span class="td_social_info_name">Fans</span>'
        '<span class="td_social_button"><a href="https://www.facebook.com/TDI">Like</a></span>'
        "</div></div></div></div>"
    )
    body = [_ad("top_ad"), *paragraphs[:3], _ad("inline_ad1"), *paragraphs[3:], share, author_box, follow]
    return '<div class="tdb-block-inner td-fix-index">\n    ' + "\n    ".join(body) + "\n</div>"


def _clean(html: str, **kwargs: Any) -> CleanedContent:
    return clean_content(html, BASE, **kwargs)


def _assert_safe_html(html: str) -> None:
    """Only the documented tags and attributes survive in body_html."""
    root = etree.fromstring(f"<div>{html}</div>", etree.HTMLParser()).find(".//body/div")
    assert root is not None
    for el in root.iterdescendants():
        assert el.tag in ALLOWED_TAGS, el.tag
        assert set(el.attrib) <= ALLOWED_ATTRS.get(el.tag, set()), (el.tag, dict(el.attrib))


# --- the seed article ---------------------------------------------------------------------------


def test_seed_body_text_is_exactly_the_seven_paragraphs() -> None:
    cleaned = _clean(_seed_region())
    assert cleaned.text == "\n\n".join(SEED_PARAGRAPHS)


def test_seed_boilerplate_is_counted_by_kind() -> None:
    cleaned = _clean(_seed_region())
    # two ad spots; the share bar; the author box; the "Follow us" title block and the social counter
    assert cleaned.stripped == {"ad": 2, "share": 1, "author_box": 1, "follow": 2}


def test_seed_body_html_has_no_boilerplate() -> None:
    cleaned = _clean(_seed_region())
    for phrase in ("Advertisement", "Follow us", "Facebook", "Carla Esparza Arteaga", SEED_BIO[:40]):
        assert phrase not in cleaned.html
    assert cleaned.html.count("<p>") == 7
    assert "<strong>new</strong> technologies" in cleaned.html
    assert cleaned.images == [] and cleaned.embeds == [] and cleaned.links == []
    _assert_safe_html(cleaned.html)


def test_author_box_never_reaches_the_body_even_nested() -> None:
    html = (
        "<div><p>Text.</p><section><div class='author-box-wrap'><div class='desc'>"
        f"<div class='td-author-description'>{SEED_BIO}</div></div></div></section></div>"
    )
    cleaned = _clean(html)
    assert cleaned.text == "Text."
    assert cleaned.stripped == {"author_box": 1}


# --- removal kinds -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "kind"),
    [
        ('<div class="td-a-rec td-a-rec-id-content_top tdi_12">ad</div>', "ad"),
        ('<div class="td-g-rec td-g-rec-id-content_bottom">ad</div>', "ad"),
        ('<div class="code-block code-block-2">ad</div>', "ad"),
        ('<ins class="adsbygoogle"></ins>', "ad"),
        ("<p>- Advertisement -</p>", "ad"),
        ('<div class="td-post-sharing-bottom"><a href="https://x.com/share">Share</a></div>', "share"),
        ('<div class="sharedaddy sd-sharing-enabled"><h3>Share this:</h3></div>', "share"),
        ('<div class="addtoany_share_save_container">Share</div>', "share"),
        ('<div class="heateor_sss_sharing_container">Share</div>', "share"),
        ('<div class="td_block_wrap tdm_block_socials"><a href="https://x.com/t">X</a></div>', "follow"),
        ("<h4>Follow us</h4>", "follow"),
        ('<div class="td_block_wrap td_block_related_posts"><a href="/a/">Other</a></div>', "related"),
        ('<div class="jp-relatedposts"><h3>Related</h3></div>', "related"),
        (
            '<div class="td_block_wrap td_flex_block_1"><h4>Most Popular</h4><a href="/b/">B</a></div>',
            "related",
        ),
        (
            '<div class="widget"><h3>Most Popular</h3><ul><li><a href="/c/">C story</a></li></ul></div>',
            "related",
        ),
        ('<div class="td_block_wrap tdn_block_newsletter_subscribe">Subscribe</div>', "newsletter"),
        ('<form action="/subscribe"><input name="email"> Sign up</form>', "newsletter"),
        ('<div class="td-post-featured-image"><figure><img src="/f.jpg"></figure></div>', "featured_image"),
        ("<script>var x = 1;</script>", "script"),
        ("<noscript>Enable JavaScript</noscript>", "script"),
        ("<style>p { color: red }</style>", "style"),
        ('<footer><div class="page-nav"><a href="/slug/2/">2</a></div></footer>', "navigation"),
        ('<div class="page-nav td-pb-padding-side"><a href="/slug/2/">2</a></div>', "navigation"),
        ("<p> &nbsp; </p>", "empty"),
        ("<p><br></p>", "empty"),
    ],
)
def test_removed_kind(html: str, kind: str) -> None:
    cleaned = _clean(f"<p>Real paragraph.</p>{html}<p>Last paragraph.</p>")
    assert cleaned.text == "Real paragraph.\n\nLast paragraph."
    assert cleaned.stripped == {kind: 1}


@pytest.mark.parametrize(
    "html",
    [
        '<p>Read more: <a href="/other-story/">Pakistan and Mexico sign a trade deal</a></p>',
        '<p><strong>Also read:</strong> <a href="/x/">Talks in Kabul</a></p>',
        '<p>READ ALSO <a href="/x/">Talks in Kabul</a></p>',
        '<p>See also: <a href="/x/">The ICAFT convention</a></p>',
        '<p>Related: <a href="/x/">OAS members meet</a></p>',
        '<p><a href="/x/">Read more about the OAS conference</a></p>',
    ],
)
def test_read_more_paragraphs_are_removed(html: str) -> None:
    cleaned = _clean(f"<p>Body.</p>{html}")
    assert cleaned.text == "Body."
    assert cleaned.stripped == {"read_more": 1}
    assert cleaned.links == []


@pytest.mark.parametrize(
    "text",
    [
        "Read more about this in the report, which the ministry published on Monday.",
        'Also read the <a href="/r/">report</a>, which the ministry published on Monday in full.',
        "Related to this, the minister said the talks would continue.",
        "See also the statement of the delegation of Jamaica on arms trafficking.",
    ],
)
def test_paragraphs_that_merely_start_like_read_more_are_kept(text: str) -> None:
    cleaned = _clean(f"<p>{text}</p>")
    assert cleaned.text == re.sub(r"<[^>]+>", "", text)
    assert cleaned.stripped == {}


def test_boilerplate_phrases_remove_matching_blocks_only() -> None:
    html = (
        "<p>The talks went on.</p><p>For more news follow The Diplomatic Insight on Twitter.</p>"
        "<p>Follow-up talks are planned.</p>"
    )
    cleaned = _clean(html, boilerplate_phrases=["For more news follow"])
    assert cleaned.text == "The talks went on.\n\nFollow-up talks are planned."
    assert cleaned.stripped == {"boilerplate": 1}


def test_unknown_wrappers_are_unwrapped_and_div_text_becomes_paragraphs() -> None:
    html = (
        '<div class="tdc-row"><div class="vc_column"><div class="wpb_wrapper">'
        '<div dir="auto">First line of text.</div><div></div>'
        '<div dir="auto">Second <b>bold</b> line.</div>'
        "<section><p>Inside a section.</p></section>Loose text after a block."
        "</div></div></div>"
    )
    cleaned = _clean(html)
    assert cleaned.text == (
        "First line of text.\n\nSecond bold line.\n\nInside a section.\n\nLoose text after a block."
    )
    assert cleaned.html == (
        "<p>First line of text.</p><p>Second <b>bold</b> line.</p><p>Inside a section.</p>"
        "<p>Loose text after a block.</p>"
    )
    assert cleaned.stripped == {}


def test_nested_theme_text_blocks_are_kept() -> None:
    html = (
        '<div class="td_block_wrap tdm_block_column_content tdi_5"><div class="tds-title">'
        "<h3>Background</h3></div><p>The convention dates from 1997.</p></div>"
        '<div class="wpb_wrapper td_block_separator td_block_wrap vc_separator"><span></span></div>'
    )
    cleaned = _clean(html)
    assert cleaned.text == "Background\n\nThe convention dates from 1997."
    assert cleaned.stripped == {}


def test_hidden_empty_block_is_removed() -> None:
    cleaned = _clean('<div class="fimagecap" style="display:none"><img src="/logo.png"></div><p>Text.</p>')
    assert cleaned.text == "Text."
    assert cleaned.images == []
    assert cleaned.stripped == {"hidden": 1}


# --- body_text rules -------------------------------------------------------------------------------


def test_block_rendering_rules() -> None:
    html = (
        "<h2>Heading   two</h2>"
        "<p>Para with <a href='/x/'>a link</a>, <em>emphasis</em> and <strong>strong</strong>.</p>"
        "<ul><li>first</li><li>second <b>item</b></li></ul>"
        "<ol><li>one</li><li>two</li><li>three</li></ol>"
        "<blockquote><p>Quoted one.</p><p>Quoted two.</p></blockquote>"
        "<table><thead><tr><th>Country</th><th>Status</th></tr></thead>"
        "<tbody><tr><td>Canada</td><td>Not ratified</td></tr>"
        "<tr><td>Mexico</td><td>Ratified</td></tr></tbody>"
        "</table>"
        "<h1>Top heading</h1><h6>Small heading</h6>"
    )
    cleaned = _clean(html)
    assert cleaned.text == (
        "Heading two\n\n"
        "Para with a link, emphasis and strong.\n\n"
        "- first\n- second item\n\n"
        "1. one\n2. two\n3. three\n\n"
        "Quoted one.\n\nQuoted two.\n\n"
        "Country | Status\nCanada | Not ratified\nMexico | Ratified\n\n"
        "Top heading\n\nSmall heading"
    )
    assert cleaned.html.startswith("<h2>Heading two</h2><p>Para with <a href=")
    assert "<blockquote><p>Quoted one.</p><p>Quoted two.</p></blockquote>" in cleaned.html
    assert "<table><thead><tr><th>Country</th><th>Status</th></tr></thead><tbody>" in cleaned.html
    _assert_safe_html(cleaned.html)


def test_nested_list_items_are_lines_of_the_same_block() -> None:
    cleaned = _clean(
        "<ul><li>alpha<ul><li>alpha one</li></ul></li><li>beta</li></ul><ol><li><p>x</p></li></ol>"
    )
    assert cleaned.text == "- alpha\n- alpha one\n- beta\n\n1. x"
    assert cleaned.html.startswith("<ul><li>alpha<ul><li>alpha one</li></ul></li><li>beta</li></ul>")


def test_whitespace_collapsed_and_nbsp_is_a_space() -> None:
    cleaned = _clean("<p>\n   Mexico&nbsp;City,\t6\u00a0October   2021\n</p><p>a<br>b</p>")
    assert cleaned.text == "Mexico City, 6 October 2021\n\na b"
    assert cleaned.html.endswith("<p>a<br>b</p>")


def test_blocks_are_separated_by_exactly_one_blank_line() -> None:
    html = "<p>a</p><p></p><div><p>b</p>\n\n<p> </p></div><figure><img src='/i.jpg'></figure><p>c</p>"
    cleaned = _clean(html)
    assert cleaned.text == "a\n\nb\n\nc"
    assert "\n\n\n" not in cleaned.text
    assert cleaned.text == cleaned.text.strip()


def test_attributes_and_tags_are_reduced() -> None:
    html = (
        '<p class="x" style="color:red" id="p1">A <span class="hl">span</span> '
        '<a href="/y/" target="_blank" rel="noopener" class="l">link</a> <u>u</u> <font>f</font>'
        '<a href="javascript:void(0)">js</a> <sup>2</sup></p>'
    )
    cleaned = _clean(html)
    assert cleaned.html == '<p>A span <a href="https://thediplomaticinsight.com/y/">link</a> u fjs 2</p>'
    assert cleaned.text == "A span link u fjs 2"
    assert cleaned.links == ["https://thediplomaticinsight.com/y/"]


def test_cleaning_is_idempotent() -> None:
    first = _clean(_seed_region() + _media_region())
    second = _clean(first.html)
    assert second.text == first.text
    assert second.html == first.html
    assert second.images == first.images
    assert second.embeds == first.embeds
    assert second.stripped == {}


# --- images and embeds -------------------------------------------------------------------------------


def _media_region() -> str:
    return (
        "<p>Intro.</p>"
        '<figure class="wp-block-image size-large"><img src="data:image/svg+xml,%3Csvg%3E"'
        ' data-src="/wp-content/uploads/2021/10/delegates-1024x683.jpg" alt="Delegates" width="1024"'
        ' height="683"><figcaption class="wp-element-caption">Delegates at the <a href="/oas/">OAS</a>'
        "</figcaption></figure>"
        '<figure id="attachment_5" class="wp-caption aligncenter"><img class="lazy"'
        ' data-lazy-src="https://cdn.example.com/a.jpg" src="/placeholder.png">'
        '<figcaption class="wp-caption-text">Classic caption</figcaption></figure>'
        '<p><img data-lazy-srcset="/s-300x200.jpg 300w, /s-1024x683.jpg 1024w, /s-768x512.jpg 768w"'
        ' src="data:image/gif;base64,R0lGOD"></p>'
        '<div class="wp-caption"><img src="data:image/gif;base64,R0lGOD" class="lazyload">'
        '<noscript><img src="/wp-content/uploads/noscript.jpg"></noscript>'
        '<p class="wp-caption-text">Old caption</p></div>'
        '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Tweet text <a href="https://t.co/abc">'
        "pic.twitter.com/abc</a></p>&mdash; OAS (@OAS_official) "
        '<a href="https://twitter.com/OAS_official/status/1445?ref_src=twsrc%5Etfw">October 5, 2021</a>'
        '</blockquote><script async src="https://platform.twitter.com/widgets.js"></script>'
        '<figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube">'
        '<div class="wp-block-embed__wrapper"><iframe title="Video" width="696" height="392"'
        ' src="https://www.youtube.com/embed/dQw4w9WgXcQ?feature=oembed" allowfullscreen></iframe></div>'
        "<figcaption>Video caption</figcaption></figure>"
        '<figure class="wp-block-embed is-provider-twitter"><div class="wp-block-embed__wrapper">\n'
        "https://twitter.com/SRE_mx/status/99\n</div></figure>"
        '<p><iframe src="//player.vimeo.com/video/1"></iframe></p>'
        '<iframe src="https://maps.example.org/embed?q=1"></iframe>'
        "<p>Outro.</p>"
    )


def test_images_resolved_from_lazy_attributes_with_captions() -> None:
    cleaned = _clean(_media_region())
    assert cleaned.images == [
        Image(
            url="https://thediplomaticinsight.com/wp-content/uploads/2021/10/delegates-1024x683.jpg",
            caption="Delegates at the OAS",
            alt="Delegates",
            width=1024,
            height=683,
        ),
        Image(url="https://cdn.example.com/a.jpg", caption="Classic caption"),
        Image(url="https://thediplomaticinsight.com/s-1024x683.jpg"),
        Image(url="https://thediplomaticinsight.com/wp-content/uploads/noscript.jpg", caption="Old caption"),
    ]
    assert all(image.role == "inline" for image in cleaned.images)


def test_embeds_and_figures_give_no_text() -> None:
    cleaned = _clean(_media_region())
    assert cleaned.text == "Intro.\n\nOutro."
    assert [(embed.kind, embed.url) for embed in cleaned.embeds] == [
        ("twitter", "https://twitter.com/OAS_official/status/1445"),
        ("youtube", "https://www.youtube.com/embed/dQw4w9WgXcQ?feature=oembed"),
        ("twitter", "https://twitter.com/SRE_mx/status/99"),
        ("vimeo", "https://player.vimeo.com/video/1"),
        ("maps.example.org", "https://maps.example.org/embed?q=1"),
    ]
    assert cleaned.stripped == {"script": 1}


def test_media_html_form() -> None:
    cleaned = _clean(_media_region())
    assert (
        '<figure><img src="https://thediplomaticinsight.com/wp-content/uploads/2021/10/delegates-1024x683.jpg"'
        ' alt="Delegates" width="1024" height="683"><figcaption>Delegates at the '
        '<a href="https://thediplomaticinsight.com/oas/">OAS</a></figcaption></figure>'
    ) in cleaned.html
    assert (
        '<figure class="embed" data-kind="twitter"><a href="https://twitter.com/OAS_official/status/1445">'
        "https://twitter.com/OAS_official/status/1445</a></figure>"
    ) in cleaned.html
    assert "Video caption" not in cleaned.html
    assert "Tweet text" not in cleaned.html
    _assert_safe_html(cleaned.html)


def test_gallery_images_each_keep_their_caption() -> None:
    html = (
        '<figure class="wp-block-gallery has-nested-images">'
        '<figure class="wp-block-image"><img src="/g1.jpg" alt="one"><figcaption>First</figcaption></figure>'
        '<figure class="wp-block-image"><img src="/g2.jpg" alt="two"></figure>'
        '<figcaption class="blocks-gallery-caption">Gallery</figcaption></figure>'
    )
    cleaned = _clean(html)
    assert [(i.url.rsplit("/", 1)[1], i.caption) for i in cleaned.images] == [
        ("g1.jpg", "First"),
        ("g2.jpg", "Gallery"),
    ]
    assert cleaned.text == ""


def test_figure_without_image_keeps_its_table() -> None:
    html = (
        '<figure class="wp-block-table"><table><tr><td>a</td><td>b</td></tr></table>'
        "<figcaption>T</figcaption></figure>"
    )
    cleaned = _clean(html)
    assert cleaned.text == "a | b"
    assert cleaned.html == "<table><tbody><tr><td>a</td><td>b</td></tr></tbody></table>"


# --- clean_article -------------------------------------------------------------------------------


def test_clean_article_fills_the_derived_fields() -> None:
    article = Article(url=BASE, url_raw=BASE, content_html=_seed_region() + _media_region())
    assert clean_article(article) is article
    assert article.body_text.startswith(SEED_PARAGRAPHS[0])
    assert article.body_text.endswith("Intro.\n\nOutro.")
    assert len(article.images) == 4
    assert len(article.embeds) == 5
    assert article.stripped == {"ad": 2, "share": 1, "author_box": 1, "follow": 2, "script": 1}
    assert "<p>" in article.body_html


def test_featured_image_is_kept_only_as_featured() -> None:
    featured = Image(
        url="https://thediplomaticinsight.com/wp-content/uploads/2021/10/icaft.jpg", role="featured"
    )
    html = (
        '<figure><img src="/wp-content/uploads/2021/10/icaft-696x464.jpg">'
        "<figcaption>Lead</figcaption></figure>"
        '<p>Text.</p><figure><img src="/wp-content/uploads/2021/10/other.jpg"></figure>'
    )
    article = Article(url=BASE, url_raw=BASE, content_html=html, featured_image=featured)
    clean_article(article)
    assert [image.url.rsplit("/", 1)[1] for image in article.images] == ["other.jpg"]
    assert "icaft" not in article.body_html
    assert "Lead" not in article.body_html
    assert article.stripped == {"featured_image": 1}
    assert article.featured_image is featured


# --- robustness -------------------------------------------------------------------------------------


@pytest.mark.parametrize("html", ["", "   \n\t ", "<!-- only a comment -->", "<script>x()</script>"])
def test_empty_input_gives_empty_content(html: str) -> None:
    cleaned = _clean(html)
    assert cleaned.text == ""
    assert cleaned.html == ""
    assert cleaned.images == [] and cleaned.embeds == [] and cleaned.links == []


def test_broken_html_keeps_all_text() -> None:
    html = (
        "<div><p>Unclosed paragraph <b>bold <i>both</b> italic?<p>Second</div></div></span>"
        "<table><tr><td>cell<td>cell two</table><ul><li>one<li>two</ul>Trailing <a href='/z'>text"
    )
    cleaned = _clean(html)
    for word in (
        "Unclosed paragraph",
        "bold",
        "both",
        "italic?",
        "Second",
        "cell two",
        "- two",
        "Trailing text",
    ):
        assert word in cleaned.text
    _assert_safe_html(cleaned.html)


def test_odd_characters_do_not_break_cleaning() -> None:
    html = "<p>nul\x00 bom\ufeff zero\u200bwidth soft\u00adhyphen \U0001f600 \ud800 &#0; &bogus; \x07bell</p>"
    cleaned = _clean(html)
    assert cleaned.text.startswith("nul")
    assert "\U0001f600" in cleaned.text
    assert "zerowidth" in cleaned.text
    assert "softhyphen" in cleaned.text
    assert "\x00" not in cleaned.text and "\x07" not in cleaned.text


def test_xml_declaration_and_meta_charset_are_ignored() -> None:
    html = '<?xml version="1.0" encoding="iso-8859-1"?><meta charset="latin1"><p>Café à São Paulo</p>'
    assert _clean(html).text == "Café à São Paulo"


@pytest.mark.parametrize("opener", ["<div>", "<span>", "<b>", "<blockquote>"])
def test_deep_nesting_keeps_text_without_recursion_errors(opener: str) -> None:
    closer = opener.replace("<", "</")
    for depth in (300, 3000):
        html = opener * depth + "deep text" + closer * depth + "<p>after</p>"
        cleaned = _clean(html)
        assert "deep text" in cleaned.text, depth
        assert cleaned.text.endswith("after"), depth


def test_five_megabyte_body_finishes_in_seconds() -> None:
    paragraph = '<p>Word <a href="/l/">linked</a> and <strong>strong</strong> text &amp; more.</p>\n'
    html = '<div class="td-post-content">' + paragraph * (5_000_000 // len(paragraph)) + "</div>"
    start = time.perf_counter()
    cleaned = _clean(html)
    elapsed = time.perf_counter() - start
    assert cleaned.text.count("\n\n") == 5_000_000 // len(paragraph) - 1
    assert elapsed < 10, elapsed

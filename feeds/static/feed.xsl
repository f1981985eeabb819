<?xml version="1.0" encoding="UTF-8"?>
<!--
  feed.xsl: shows this site's Atom 1.0 and RSS 2.0 feeds as a readable page when someone opens one in a browser
  (referenced by <?xml-stylesheet type="text/xsl" href="…"?> in both). Feed readers ignore it.

  Constraints: XSLT 1.0 only (what browsers run); no script; no disable-output-escaping (Firefox ignores it), so
  RSS item descriptions, which are escaped HTML, are not shown, and every feed text is output as text, never as
  markup. The RSS channel description is a plain text as HTML (the text itself, or, where it would read as markup,
  with &, < and > escaped, by feeds.publish.atomrss): those three entities are turned back into characters, and
  the text is output as text.
  Links are emitted only for http(s) URLs. Browsers apply the stylesheet only from the feed's own origin.

  Written in English. feeds.publish.stylesheet writes the words (the `label-…` variables) and the dates (the
  `calendar-date` template) again in the site's language when it has a catalogue, as the pages are.
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:atom="http://www.w3.org/2005/Atom"
                xmlns:dc="http://purl.org/dc/elements/1.1/"
                exclude-result-prefixes="atom dc">

  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <!-- Each variable reads the Atom form or the RSS form; only one of them exists in a document. -->
  <xsl:variable name="title" select="normalize-space(/atom:feed/atom:title | /rss/channel/title)"/>
  <xsl:variable name="subtitle">
    <xsl:choose>
      <xsl:when test="/rss">
        <xsl:call-template name="unescape">
          <xsl:with-param name="text" select="normalize-space(/rss/channel/description)"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="normalize-space(/atom:feed/atom:subtitle)"/></xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="lang" select="/atom:feed/@xml:lang | /rss/channel/language"/>
  <xsl:variable name="self"
                select="(/atom:feed/atom:link[@rel = 'self'] | /rss/channel/atom:link[@rel = 'self'])[1]/@href"/>
  <xsl:variable name="home"
                select="(/atom:feed/atom:link[@rel = 'alternate' or not(@rel)])[1]/@href | /rss/channel/link"/>
  <xsl:variable name="format">
    <xsl:choose>
      <xsl:when test="/atom:feed">Atom</xsl:when>
      <xsl:otherwise>RSS</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>

  <!-- The page's words, each in one variable (and in feeds.pot): text, and the value of a variable written as
       <xsl:value-of select="$name"/>, which is "%(name)s" in the catalogue. -->
  <xsl:variable name="label-page-title"><xsl:value-of select="$title"/> (web feed)</xsl:variable>
  <xsl:variable name="label-kind"><xsl:value-of select="$format"/> web feed</xsl:variable>
  <xsl:variable name="label-subscribe">How to subscribe</xsl:variable>
  <xsl:variable name="label-about">This page is a web feed. A feed reader (also called a news reader or RSS reader) checks it for you and shows each new entry as soon as it is published, without you visiting the site.</xsl:variable>
  <xsl:variable name="label-copy">To subscribe, copy this address and paste it into your feed reader:</xsl:variable>
  <xsl:variable name="label-readers">No feed reader yet? Many are free, for the web, phones and computers; search for “feed reader” or “RSS reader”.</xsl:variable>
  <xsl:variable name="label-home">Back to the website</xsl:variable>
  <xsl:variable name="label-latest">Latest entries</xsl:variable>
  <xsl:variable name="label-none">There are no entries now.</xsl:variable>
  <!-- The words' language: English as written here, the site's when feeds.publish.stylesheet translates them.
       Where it is not the feed's (English words on a site in a language without a catalogue), the elements that
       hold them say so, as the pages do, so that a screen reader reads them as English. -->
  <xsl:variable name="words-lang" select="'en'"/>
  <xsl:variable name="words-other"
                select="substring-before(concat(translate($words-lang, $upper, $lower), '-'), '-')
                        != substring-before(concat(translate($lang, $upper, $lower), '-'), '-')"/>
  <xsl:variable name="page-dir">
    <xsl:call-template name="direction"><xsl:with-param name="tag" select="string($lang)"/></xsl:call-template>
  </xsl:variable>
  <xsl:variable name="words-dir">
    <xsl:call-template name="direction"><xsl:with-param name="tag" select="$words-lang"/></xsl:call-template>
  </xsl:variable>
  <xsl:variable name="upper" select="'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"/>
  <xsl:variable name="lower" select="'abcdefghijklmnopqrstuvwxyz'"/>

  <xsl:template match="/">
    <html lang="{$lang}">
      <!-- A right-to-left site's feed is laid out as its pages are. -->
      <xsl:if test="$page-dir = 'rtl'"><xsl:attribute name="dir">rtl</xsl:attribute></xsl:if>
      <head>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="robots" content="noindex"/>
        <title><xsl:value-of select="$label-page-title"/></title>
        <style>
          body { font: 1rem/1.5 system-ui, sans-serif; color: #1a1a1a; background: #fff; margin: 0; }
          main { max-width: 44rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
          h1 { font-size: 1.75rem; line-height: 1.2; margin: .25rem 0 .5rem; }
          h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; }
          .kind { text-transform: uppercase; letter-spacing: .06em; font-size: .875rem; color: #555; margin: 0; }
          .subscribe { background: #f3f6fa; border: 1px solid #d5dde8; border-radius: .5rem; padding: .25rem 1rem 1rem; }
          .url { display: block; padding: .5rem; background: #fff; border: 1px solid #b9c4d3; border-radius: .25rem;
                 font-family: ui-monospace, monospace; word-break: break-all; user-select: all; }
          ol.entries { list-style: none; padding: 0; }
          ol.entries li { padding: .75rem 0; border-bottom: 1px solid #e4e4e4; }
          .entry-title { font-weight: 600; }
          h1, .entry-title, .summary { overflow-wrap: anywhere; }
          time, .date { display: block; color: #555; font-size: .9rem; }
          .summary { margin: .25rem 0 0; }
          a { color: #0645ad; }
          @media (prefers-color-scheme: dark) {
            body { color: #e8e8e8; background: #121212; }
            .subscribe { background: #1d2530; border-color: #33415a; }
            .url { background: #121212; border-color: #44536b; }
            .kind, time, .date { color: #aaa; }
            ol.entries li { border-color: #333; }
            a { color: #8ab4f8; }
          }
        </style>
      </head>
      <body>
        <main>
          <p class="kind"><xsl:call-template name="words-lang"/><xsl:value-of select="$label-kind"/></p>
          <h1><xsl:value-of select="$title"/></h1>
          <xsl:if test="string($subtitle) and string($subtitle) != $title">
            <p>
              <!-- An Atom subtitle in other words than the feed's language (the site's English words on the feed of
                   its Arabic releases) says so with its own xml:lang: labelled, and laid out in its direction. -->
              <xsl:variable name="subtitle-lang" select="string(/atom:feed/atom:subtitle/@xml:lang)"/>
              <xsl:if test="$subtitle-lang">
                <xsl:attribute name="lang"><xsl:value-of select="$subtitle-lang"/></xsl:attribute>
                <xsl:attribute name="dir">
                  <xsl:call-template name="direction"><xsl:with-param name="tag" select="$subtitle-lang"/></xsl:call-template>
                </xsl:attribute>
              </xsl:if>
              <xsl:value-of select="$subtitle"/>
            </p>
          </xsl:if>

          <section class="subscribe" aria-labelledby="subscribe">
            <xsl:call-template name="words-lang"/>
            <h2 id="subscribe"><xsl:value-of select="$label-subscribe"/></h2>
            <p><xsl:value-of select="$label-about"/></p>
            <p><xsl:value-of select="$label-copy"/></p>
            <code class="url"><xsl:value-of select="$self"/></code>
            <p>
              <xsl:value-of select="$label-readers"/>
              <xsl:call-template name="link">
                <xsl:with-param name="href" select="$home"/>
                <xsl:with-param name="text" select="string($label-home)"/>
                <xsl:with-param name="before" select="' '"/>
                <xsl:with-param name="class" select="'home'"/>
              </xsl:call-template>
            </p>
          </section>

          <h2><xsl:call-template name="words-lang"/><xsl:value-of select="$label-latest"/></h2>
          <xsl:choose>
            <xsl:when test="/atom:feed/atom:entry | /rss/channel/item">
              <!-- role="list": Safari drops the list role of a list drawn without bullets, and VoiceOver its count. -->
              <ol class="entries" role="list">
                <xsl:apply-templates select="/atom:feed/atom:entry | /rss/channel/item"/>
              </ol>
            </xsl:when>
            <xsl:otherwise>
              <p><xsl:call-template name="words-lang"/><xsl:value-of select="$label-none"/></p>
            </xsl:otherwise>
          </xsl:choose>
        </main>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="atom:entry">
    <xsl:variable name="date" select="atom:published | atom:updated[not(../atom:published)]"/>
    <!-- An entry in another language than the feed's (xml:lang="ar") has its title and summary labelled with
         it and laid out in its direction; the date stays in the page's language. -->
    <xsl:variable name="entry-lang" select="string(@xml:lang[. != $lang])"/>
    <xsl:variable name="entry-dir">
      <xsl:if test="$entry-lang">
        <xsl:call-template name="direction"><xsl:with-param name="tag" select="$entry-lang"/></xsl:call-template>
      </xsl:if>
    </xsl:variable>
    <li>
      <xsl:call-template name="link">
        <xsl:with-param name="href" select="(atom:link[@rel = 'alternate' or not(@rel)])[1]/@href"/>
        <xsl:with-param name="text" select="normalize-space(atom:title)"/>
        <xsl:with-param name="lang" select="$entry-lang"/>
        <xsl:with-param name="dir" select="string($entry-dir)"/>
      </xsl:call-template>
      <!-- RFC 3339 "2017-11-02T09:30:00Z" shown as "02 Nov 2017, 09:30 UTC", like the RSS dates below. The time
           and zone are shown because XSLT 1.0 cannot move a time into the site's zone: a release of 1 July in
           London (30 June, 23:00 UTC) would otherwise read as 30 June beside its page's 1 July. -->
      <time datetime="{$date}">
        <xsl:call-template name="words-lang"/>
        <xsl:call-template name="calendar-date">
          <xsl:with-param name="day" select="substring($date, 9, 2)"/>
          <xsl:with-param name="month" select="number(substring($date, 6, 2))"/>
          <xsl:with-param name="year" select="substring($date, 1, 4)"/>
        </xsl:call-template>
        <xsl:if test="substring($date, 20) = 'Z'">
          <xsl:value-of select="concat(', ', substring($date, 12, 5), ' UTC')"/>
        </xsl:if>
      </time>
      <xsl:if test="normalize-space(atom:summary)">
        <p class="summary">
          <xsl:if test="$entry-lang">
            <xsl:attribute name="lang"><xsl:value-of select="$entry-lang"/></xsl:attribute>
            <xsl:attribute name="dir"><xsl:value-of select="$entry-dir"/></xsl:attribute>
          </xsl:if>
          <xsl:value-of select="normalize-space(atom:summary)"/>
        </p>
      </xsl:if>
    </li>
  </xsl:template>

  <xsl:template match="item">
    <!-- An item in another language than the channel's names it in dc:language (as an Atom entry does with
         xml:lang): its title is labelled with it and laid out in its direction. An item naming none is in the
         channel's language, but a source's title may still be written the other way: its first strong letter
         sets its direction. -->
    <xsl:variable name="item-lang" select="string(dc:language[normalize-space(.) != $lang])"/>
    <xsl:variable name="item-dir">
      <xsl:choose>
        <xsl:when test="$item-lang">
          <xsl:call-template name="direction"><xsl:with-param name="tag" select="$item-lang"/></xsl:call-template>
        </xsl:when>
        <xsl:otherwise>auto</xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <li>
      <xsl:call-template name="link">
        <xsl:with-param name="href" select="link"/>
        <xsl:with-param name="text" select="normalize-space(title)"/>
        <xsl:with-param name="lang" select="$item-lang"/>
        <xsl:with-param name="dir" select="string($item-dir)"/>
      </xsl:call-template>
      <xsl:if test="pubDate">
        <!-- RFC 822 "Thu, 02 Nov 2017 09:30:00 +0000": "02 Nov 2017, 09:30 UTC" (see the Atom dates above). -->
        <xsl:variable name="day">
          <xsl:choose>
            <xsl:when test="contains(pubDate, ',')"><xsl:value-of select="normalize-space(substring-after(pubDate, ','))"/></xsl:when>
            <xsl:otherwise><xsl:value-of select="normalize-space(pubDate)"/></xsl:otherwise>
          </xsl:choose>
        </xsl:variable>
        <!-- (a span, not <time>: an RFC 822 date is no datetime value HTML takes, and XSLT 1.0 cannot rewrite it) -->
        <span class="date">
          <xsl:call-template name="words-lang"/>
          <xsl:call-template name="calendar-date">
            <xsl:with-param name="day" select="substring($day, 1, 2)"/>
            <xsl:with-param name="month"
                            select="string-length(substring-before($months, substring($day, 4, 3))) div 3 + 1"/>
            <xsl:with-param name="year" select="substring($day, 8, 4)"/>
          </xsl:call-template>
          <xsl:if test="substring($day, 22) = '+0000' or substring($day, 22) = 'GMT'">
            <xsl:value-of select="concat(', ', substring($day, 13, 5), ' UTC')"/>
          </xsl:if>
        </span>
      </xsl:if>
    </li>
  </xsl:template>

  <!-- RFC 822's month names (RSS dates), three letters each. -->
  <xsl:variable name="months" select="'JanFebMarAprMayJunJulAugSepOctNovDec'"/>

  <!-- A calendar day, "02 Nov 2017", from its day (two digits), month (1 to 12) and year. In another language,
       feeds.publish.stylesheet writes it as the pages do: "2 novembre 2017". -->
  <xsl:template name="calendar-date">
    <xsl:param name="day"/>
    <xsl:param name="month"/>
    <xsl:param name="year"/>
    <xsl:value-of select="concat($day, ' ', substring($months, 3 * $month - 2, 3), ' ', $year)"/>
  </xsl:template>

  <!-- lang="…" on an element that holds the words, when they are in another language than the feed's (and dir="…"
       when they are written the other way). -->
  <xsl:template name="words-lang">
    <xsl:if test="$words-other">
      <xsl:attribute name="lang"><xsl:value-of select="$words-lang"/></xsl:attribute>
      <xsl:if test="string($words-dir) != string($page-dir)">
        <xsl:attribute name="dir"><xsl:value-of select="$words-dir"/></xsl:attribute>
      </xsl:if>
    </xsl:if>
  </xsl:template>

  <!-- The text of escaped HTML holding no markup: &lt; &gt; &amp; back to < > &, in one pass from the left (so
       "&amp;lt;" gives "&lt;"); any other "&" is kept as it is. -->
  <xsl:template name="unescape">
    <xsl:param name="text"/>
    <xsl:choose>
      <xsl:when test="contains($text, '&amp;')">
        <xsl:variable name="rest" select="substring-after($text, '&amp;')"/>
        <xsl:value-of select="substring-before($text, '&amp;')"/>
        <xsl:choose>
          <xsl:when test="starts-with($rest, 'lt;')">
            <xsl:text>&lt;</xsl:text>
            <xsl:call-template name="unescape"><xsl:with-param name="text" select="substring($rest, 4)"/></xsl:call-template>
          </xsl:when>
          <xsl:when test="starts-with($rest, 'gt;')">
            <xsl:text>&gt;</xsl:text>
            <xsl:call-template name="unescape"><xsl:with-param name="text" select="substring($rest, 4)"/></xsl:call-template>
          </xsl:when>
          <xsl:when test="starts-with($rest, 'amp;')">
            <xsl:text>&amp;</xsl:text>
            <xsl:call-template name="unescape"><xsl:with-param name="text" select="substring($rest, 5)"/></xsl:call-template>
          </xsl:when>
          <xsl:otherwise>
            <xsl:text>&amp;</xsl:text>
            <xsl:call-template name="unescape"><xsl:with-param name="text" select="$rest"/></xsl:call-template>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$text"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- "rtl" for a right-to-left BCP 47 tag (as feeds.publish.pageviews.text_direction decides), else "ltr". -->
  <xsl:template name="direction">
    <xsl:param name="tag"/>
    <xsl:variable name="lower" select="translate($tag, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ_', 'abcdefghijklmnopqrstuvwxyz-')"/>
    <xsl:variable name="primary" select="substring-before(concat($lower, '-'), '-')"/>
    <xsl:variable name="script" select="substring-before(concat(substring-after($lower, '-'), '-'), '-')"/>
    <xsl:choose>
      <xsl:when test="string-length($script) = 4">
        <xsl:choose>
          <xsl:when test="contains(' adlm arab hebr mand nkoo rohg syrc thaa ', concat(' ', $script, ' '))">rtl</xsl:when>
          <xsl:otherwise>ltr</xsl:otherwise>
        </xsl:choose>
      </xsl:when>
      <xsl:when test="contains(' ar arc azb bal bqi ckb dv fa glk he iw ji khw ks lrc mzn nqo pnb prs ps sd sdh skr syr ug ur yi ',
                                      concat(' ', $primary, ' '))">rtl</xsl:when>
      <xsl:otherwise>ltr</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- A link to an http(s) URL, or the bare text: never a javascript: or data: link. -->
  <xsl:template name="link">
    <xsl:param name="href"/>
    <xsl:param name="text"/>
    <xsl:param name="before" select="''"/>
    <xsl:param name="class" select="'entry-title'"/>
    <xsl:param name="lang" select="''"/>
    <xsl:param name="dir" select="''"/>
    <xsl:variable name="url" select="normalize-space($href)"/>
    <xsl:value-of select="$before"/>
    <xsl:variable name="element">
      <xsl:choose>
        <xsl:when test="starts-with($url, 'https://') or starts-with($url, 'http://')">a</xsl:when>
        <xsl:otherwise>span</xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:element name="{$element}">
      <xsl:attribute name="class"><xsl:value-of select="$class"/></xsl:attribute>
      <xsl:if test="$element = 'a'">
        <xsl:attribute name="href"><xsl:value-of select="$url"/></xsl:attribute>
      </xsl:if>
      <xsl:if test="$lang">
        <xsl:attribute name="lang"><xsl:value-of select="$lang"/></xsl:attribute>
      </xsl:if>
      <xsl:if test="$dir">
        <xsl:attribute name="dir"><xsl:value-of select="$dir"/></xsl:attribute>
      </xsl:if>
      <xsl:value-of select="$text"/>
    </xsl:element>
  </xsl:template>

</xsl:stylesheet>

<?xml version="1.0" encoding="UTF-8"?>
<!-- newsdesk: shows an Atom or RSS feed as a readable page when opened in a browser.
     Feed readers ignore this file. Summaries are sanitized by newsdesk before publishing. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="UTF-8" indent="yes"
      doctype-system="about:legacy-compat"/>

  <xsl:template match="/">
    <xsl:variable name="title" select="atom:feed/atom:title | rss/channel/title"/>
    <html>
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/> (feed)</title>
        <style>
          body { font: 1rem/1.5 system-ui, sans-serif; max-width: 48rem; margin: 0 auto; padding: 1rem; }
          .about { background: #eef4fb; border: 1px solid #cbdcf0; padding: .75rem 1rem; border-radius: .4rem; }
          code { background: #fff; padding: 0 .25rem; word-break: break-all; }
          article { border-bottom: 1px solid #ddd; padding: .75rem 0; }
          h2 { font-size: 1.1rem; margin: 0; }
          time { color: #777; font-size: .85rem; }
        </style>
      </head>
      <body>
        <h1><xsl:value-of select="$title"/></h1>
        <p class="about">This is a news feed. To follow it, copy this page's address into a feed reader
          (for example NetNewsWire, Feedly, Thunderbird or Inoreader).</p>
        <xsl:apply-templates select="atom:feed/atom:entry | rss/channel/item"/>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="atom:entry">
    <article>
      <h2><a href="{atom:link[not(@rel) or @rel='alternate'][1]/@href}"><xsl:value-of select="atom:title"/></a></h2>
      <time><xsl:value-of select="substring(atom:published, 1, 10)"/></time>
      <div><xsl:value-of select="atom:summary" disable-output-escaping="yes"/></div>
    </article>
  </xsl:template>

  <xsl:template match="item">
    <article>
      <h2><a href="{link}"><xsl:value-of select="title"/></a></h2>
      <time><xsl:value-of select="pubDate"/></time>
      <div><xsl:value-of select="description" disable-output-escaping="yes"/></div>
    </article>
  </xsl:template>
</xsl:stylesheet>

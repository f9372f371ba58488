package render

import (
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// blockTags end a paragraph: they become a blank line in plain text.
var blockTags = map[string]bool{
	"p": true, "div": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"ul": true, "ol": true, "table": true, "blockquote": true, "section": true, "article": true,
	"header": true, "footer": true, "hr": true,
}

// lineTags end a line.
var lineTags = map[string]bool{"tr": true, "br": true}

// skipTags have content that is not text for the reader.
var skipTags = map[string]bool{"head": true, "style": true, "script": true, "title": true}

var manyNewlines = regexp.MustCompile(`\n{3,}`)

// HTMLToText derives the plain-text alternative of an email from its HTML:
// tags are stripped, links keep their URL as "text (url)", paragraphs and
// block elements become blank lines, <br> and list items new lines
// (list items prefixed by "- "), and entities are decoded.
func HTMLToText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0
	var href string
	var linkText strings.Builder
	inLink := false
	write := func(s string) {
		if inLink {
			linkText.WriteString(s)
			return
		}
		b.WriteString(s)
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidyText(b.String())
		case html.TextToken:
			if skip > 0 {
				continue
			}
			write(collapseSpace(string(z.Text())))
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			if skipTags[tag] {
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			switch {
			case tag == "a" && tt == html.StartTagToken:
				href, inLink = "", true
				linkText.Reset()
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "href" {
						href = string(v)
					}
				}
			case tag == "a" && tt == html.EndTagToken && inLink:
				inLink = false
				b.WriteString(linkWithURL(strings.TrimSpace(linkText.String()), href))
			case tag == "li":
				if tt != html.EndTagToken {
					write("\n- ")
				}
			case lineTags[tag]:
				write("\n")
			case blockTags[tag]:
				write("\n\n")
			}
		}
	}
}

// linkWithURL renders a link as "text (url)", or just the URL when the text
// already is the URL (or empty); mailto: and tel: prefixes are dropped.
func linkWithURL(text, href string) string {
	shown := strings.TrimPrefix(strings.TrimPrefix(href, "mailto:"), "tel:")
	switch {
	case href == "" || strings.HasPrefix(href, "#"):
		return text
	case text == "" || text == href || text == shown:
		return shown
	default:
		return text + " (" + shown + ")"
	}
}

// collapseSpace turns runs of HTML whitespace into one space.
func collapseSpace(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\n' || r == '\t' || r == '\r' || r == '\f' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}

// tidyText trims every line and keeps at most one blank line in a row.
func tidyText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(strings.ReplaceAll(l, "\u00a0", " "))
	}
	s = strings.Join(lines, "\n")
	s = manyNewlines.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}

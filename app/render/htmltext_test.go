package render

import "testing"

func TestHTMLToText(t *testing.T) {
	tests := []struct {
		name string
		html string
		want string
	}{
		{"paragraphs", "<p>Hi Maria,</p>\n<p>Your case   is\n open.</p>", "Hi Maria,\n\nYour case is open."},
		{"br", "Line one<br>Line two<br/>Line three", "Line one\nLine two\nLine three"},
		{"link keeps URL", `<p>See your <a href="https://p.example.com/c/1">client portal</a>.</p>`, "See your client portal (https://p.example.com/c/1)."},
		{"link whose text is the URL", `<a href="https://x.example.com">https://x.example.com</a>`, "https://x.example.com"},
		{"mailto and tel", `<a href="mailto:a@b.com">a@b.com</a> or <a href="tel:+15555550100">call us</a>`, "a@b.com or call us (+15555550100)"},
		{"entities decoded", "<p>Reyes &amp; Partners &middot; &quot;ok&quot; &lt;3 &#233;</p>", `Reyes & Partners · "ok" <3 é`},
		{"lists", "<p>Do this:</p><ul><li>One</li><li>Two <b>bold</b></li></ul><p>Done</p>", "Do this:\n\n- One\n- Two bold\n\nDone"},
		{"head, style and script skipped", "<html><head><title>T</title><style>p{color:red}</style></head><body><script>x()</script><p>Body</p></body></html>", "Body"},
		{"headings", "<h1>Title</h1><div>Text</div>", "Title\n\nText"},
		{"nbsp", "<p>a&nbsp;b</p>", "a b"},
		{"plain text passes through", "Just text", "Just text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HTMLToText(tt.html); got != tt.want {
				t.Errorf("HTMLToText(%q) = %q, want %q", tt.html, got, tt.want)
			}
		})
	}
}

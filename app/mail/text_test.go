package mail

import (
	"strings"
	"testing"
)

func TestHTMLToText(t *testing.T) {
	tests := []struct {
		name, html, want string
	}{
		{"Empty", "", ""},
		{"PlainText", "Hello world", "Hello world\n"},
		{"Paragraphs", "<p>One</p><p>Two</p>", "One\n\nTwo\n"},
		{"WhitespaceCollapsed", "<p>  Hello \n\t   world  </p>", "Hello world\n"},
		{"Entities", "<p>Fish &amp; chips &lt;3 &quot;yes&quot; caf&eacute;&nbsp;bar</p>", "Fish & chips <3 \"yes\" café bar\n"},
		{"Br", "Line one<br>Line two<br/>Line three", "Line one\nLine two\nLine three\n"},
		{"BrThenSourceBreak", "Why.<br>\n<a href=\"https://x.example/u\">Leave</a> &middot;\n<a href=\"https://x.example/p\">Settings</a><br>\n Example Ltd",
			"Why.\nLeave (https://x.example/u) · Settings (https://x.example/p)\nExample Ltd\n"},
		{"Link", `<p>Read <a href="https://example.com/post">the post</a> now.</p>`, "Read the post (https://example.com/post) now.\n"},
		{"LinkSameAsText", `<a href="https://example.com/u/abc">https://example.com/u/abc</a>`, "https://example.com/u/abc\n"},
		{"LinkWithoutText", `<a href="https://example.com/"></a>`, "https://example.com/\n"},
		{"ImageLink", `<a href="https://example.com/"><img src="logo.png" alt="Example"></a>`, "Example (https://example.com/)\n"},
		{"MailtoLink", `Write to <a href="mailto:ops@example.com?subject=Hi">ops@example.com</a>.`, "Write to ops@example.com.\n"},
		{"AnchorLinkDropped", `<a href="#top">Top</a>`, "Top\n"},
		{"HeadStyleScriptDropped", "<html><head><title>T</title><style>p{color:red}</style></head><body><script>alert(1)</script><p>Body</p></body></html>", "Body\n"},
		{"Headings", "<h1>Title</h1><p>Text</p>", "Title\n\nText\n"},
		{"UnorderedList", "<ul><li>One</li><li>Two</li></ul>", "- One\n- Two\n"},
		{"OrderedList", "<ol><li>First</li><li>Second</li></ol>", "1. First\n2. Second\n"},
		{"TableRows", "<table><tr><td>Name</td><td>Price</td></tr><tr><td>Tea</td><td>3</td></tr></table>", "Name Price\nTea 3\n"},
		{"LayoutTables", `<table width="100%"><tr><td><table><tr><td><h1>Hi</h1></td></tr><tr><td><p>Para</p></td></tr></table></td></tr></table>`, "Hi\n\nPara\n"},
		{"Pre", "<pre>a  b\n  c</pre>", "a  b\n  c\n"},
		{"Hr", "<p>a</p><hr><p>b</p>", "a\n\n----------------------------------------\n\nb\n"},
		{"Russian", "<p>Здравствуйте, <b>Иван</b>!</p><p><a href=\"https://example.com/u/t\">Отписаться</a></p>", "Здравствуйте, Иван!\n\nОтписаться (https://example.com/u/t)\n"},
		{"InlineTagsKeepSpacing", "<p><b>Bold</b> and <i>italic</i>text</p>", "Bold and italictext\n"},
		{"Divs", "<div>a</div><div>b</div>", "a\nb\n"},
		{"BrokenHTML", "<p>Unclosed <b>bold <a href='https://x.example/'>link", "Unclosed bold link\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HTMLToText(tt.html); got != tt.want {
				t.Errorf("HTMLToText(%q)\n got %q\nwant %q", tt.html, got, tt.want)
			}
		})
	}
}

func FuzzHTMLToText(f *testing.F) {
	f.Add("<p>Hello <a href='https://example.com'>world</a></p>")
	f.Add("<table><tr><td>x</td></tr></table><ol><li>a</ol>")
	f.Add("<pre>\x00\r\n</pre><script>")
	f.Fuzz(func(t *testing.T, s string) {
		out := HTMLToText(s)
		if out != "" && !strings.HasSuffix(out, "\n") {
			t.Errorf("output does not end with a newline: %q", out)
		}
		if strings.Contains(out, "\n\n\n") {
			t.Errorf("more than one blank line: %q", out)
		}
	})
}

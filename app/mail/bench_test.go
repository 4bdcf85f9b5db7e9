package mail

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// benchHTML is a campaign body of about 8 KB in table layout.
var benchHTML = func() string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>News</title></head><body style="margin:0">`)
	b.WriteString(`<table width="100%" cellpadding="0" cellspacing="0" role="presentation"><tr><td align="center">`)
	for i := range 12 {
		fmt.Fprintf(&b, `<table width="600" role="presentation"><tr><td style="font-family:Arial,sans-serif;font-size:16px;line-height:24px;color:#222">`+
			`<h2 style="margin:0 0 8px">Новинка %d: special offer</h2><p style="margin:0 0 16px">Мы рады представить новые продукты и услуги. `+
			`Read more about <a href="https://example.com/p/%d?utm_source=newsletter">product %d</a> on our site.</p></td></tr></table>`, i, i, i)
	}
	b.WriteString(`<p style="font-size:12px;color:#666"><a href="https://example.com/u/TOKEN">Отписаться</a></p></td></tr></table></body></html>`)
	return b.String()
}()

func benchMessage(i int) *Message {
	m := sampleMessage()
	m.HTML = benchHTML
	m.Subject = "Специальные предложения недели"
	m.ToName = "Иван Петров"
	m.MessageID = fmt.Sprintf("d%d.c7.abcdef@example.com", i)
	return m
}

func benchBuild(b *testing.B, signer *DKIMSigner, withText bool) {
	m := benchMessage(1)
	if withText {
		m.Text = HTMLToText(m.HTML)
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		raw, err := Build(m, signer)
		if err != nil {
			b.Fatal(err)
		}
		size = len(raw)
	}
	b.SetBytes(int64(size))
}

func BenchmarkBuild(b *testing.B) {
	b.Run("NoDKIM", func(b *testing.B) { benchBuild(b, nil, true) })
	b.Run("NoDKIM-DerivedText", func(b *testing.B) { benchBuild(b, nil, false) })
	b.Run("RSA2048", func(b *testing.B) {
		s, err := NewDKIMSigner("example.com", "s", rsaPKCS1PEM())
		if err != nil {
			b.Fatal(err)
		}
		benchBuild(b, s, true)
	})
	b.Run("Ed25519", func(b *testing.B) {
		s, err := NewDKIMSigner("example.com", "s", ed25519PEM(b))
		if err != nil {
			b.Fatal(err)
		}
		benchBuild(b, s, true)
	})
}

func BenchmarkHTMLToText(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchHTML)))
	for b.Loop() {
		HTMLToText(benchHTML)
	}
}

// BenchmarkSMTPSend measures messages per second through SMTPTransport to the
// in-process test server over loopback, with several batches in parallel.
func BenchmarkSMTPSend(b *testing.B) {
	srv := newFakeSMTP(b)
	srv.pipelining = true
	srv.eom = func(int, []byte) string { return "250 2.0.0 queued" } // do not keep messages
	tr, err := NewSMTP(SMTPConfig{URL: srv.url(), MaxConns: 8})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	const batch = 50
	var sent atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(2)
	b.RunParallel(func(pb *testing.PB) {
		msgs := make([]*Message, 0, batch)
		flush := func() {
			for _, r := range tr.Send(context.Background(), msgs) {
				if !r.OK() {
					b.Error(r.Err)
					return
				}
			}
			sent.Add(int64(len(msgs)))
			msgs = msgs[:0]
		}
		i := 0
		for pb.Next() {
			m := benchMessage(i)
			m.Text = "Plain text version."
			msgs = append(msgs, m)
			i++
			if len(msgs) == batch {
				flush()
			}
		}
		if len(msgs) > 0 {
			flush()
		}
	})
	b.ReportMetric(float64(sent.Load())/b.Elapsed().Seconds(), "msgs/s")
}

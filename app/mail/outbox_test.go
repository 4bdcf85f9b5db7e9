package mail

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileOutbox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox") // created on first use
	signer, err := NewDKIMSigner("example.com", "box", ed25519PEM(t))
	if err != nil {
		t.Fatal(err)
	}
	var box Transport = NewFileOutbox(dir, signer)
	a, b := sampleMessage(), sampleMessage()
	b.MessageID = "../../etc/passwd@example.com"
	bad := sampleMessage()
	bad.To = "not an address"
	results := box.Send(context.Background(), []*Message{a, bad, b})
	if !results[0].OK() || !results[2].OK() {
		t.Fatalf("results = %+v", results)
	}
	if !results[1].Permanent || !errors.Is(results[1].Err, ErrInvalidMessage) {
		t.Errorf("invalid message: %+v", results[1])
	}

	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("outbox mode %v, want 0700", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("%d files, want 2 (no temporary files left): %v", len(entries), entries)
	}
	ids := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".eml") || strings.HasPrefix(name, ".") || strings.Contains(name, "/") {
			t.Errorf("file name %q", name)
		}
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		info, _ := e.Info()
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, info.Mode().Perm())
		}
		p := parse(t, raw)
		ids[p.msg.Header.Get("Message-Id")] = true
		if p.msg.Header.Get("List-Unsubscribe-Post") == "" || len(p.parts) != 2 {
			t.Errorf("%s is not the full message", name)
		}
		if v := verifyDKIM(t, raw, signer); v.Err != nil {
			t.Errorf("%s: DKIM: %v", name, v.Err)
		}
	}
	if !ids["<"+a.MessageID+">"] || !ids["<"+b.MessageID+">"] {
		t.Errorf("Message-IDs in files: %v", ids)
	}
	if err := box.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestFileOutboxCancelled(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := NewFileOutbox(dir, nil).Send(ctx, []*Message{sampleMessage()})
	if !r[0].Temporary || !errors.Is(r[0].Err, context.Canceled) {
		t.Errorf("result = %+v", r[0])
	}
}

// TestFileOutboxEraseMailTo: an erasure finds a person's files by the
// subscriber id and by the recipient's address tag, and no other file.
func TestFileOutboxEraseMailTo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	box := NewFileOutbox(dir, nil)
	box.TagRecipients(func(addr string) string {
		return strings.NewReplacer("@", "", ".", "", "+", "").Replace(strings.ToLower(addr))
	})
	msg := func(id string, sub int64, to string) *Message {
		m := sampleMessage()
		m.MessageID, m.SubscriberID, m.To = id+"@example.com", sub, to
		return m
	}
	msgs := []*Message{
		msg("campaign", 7, "anna@example.org"),
		msg("newaddress", 7, "anna.new@example.org"),    // an address change, to the new address
		msg("beforesubscribing", 0, "Anna@Example.org"), // a reply before she subscribed
		msg("other", 8, "boris@example.org"),            // someone else
		msg("longerid", 70, "carl@example.org"),         // s70 is not s7
		msg("forged+s7+ranna", 9, "dora@example.org"),   // a message id cannot name her
		msg("admin", 0, "officer@example.org"),          // no subscriber
	}
	for i, r := range box.Send(context.Background(), msgs) {
		if !r.OK() {
			t.Fatalf("send %d: %v", i, r.Err)
		}
	}
	n, err := box.EraseMailTo(context.Background(), []int64{7}, "anna@example.org")
	if err != nil || n != 3 {
		t.Fatalf("EraseMailTo: %d %v, want 3 files", n, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if lower := strings.ToLower(string(raw)); strings.Contains(lower, "anna@example.org") || strings.Contains(lower, "anna.new@") {
			t.Errorf("%s is mail to her", e.Name())
		}
		left = append(left, e.Name())
	}
	if len(left) != 4 {
		t.Fatalf("files left %v, want the other 4", left)
	}
	// Again: nothing more; and without a subscriber or an address, nothing.
	if n, err := box.EraseMailTo(context.Background(), []int64{7}, "anna@example.org"); err != nil || n != 0 {
		t.Fatalf("again: %d %v", n, err)
	}
	if n, err := box.EraseMailTo(context.Background(), []int64{0}); err != nil || n != 0 {
		t.Fatalf("nobody: %d %v", n, err)
	}
	if n, err := NewFileOutbox(filepath.Join(t.TempDir(), "none"), nil).EraseMailTo(context.Background(), []int64{7}); err != nil || n != 0 {
		t.Fatalf("no outbox yet: %d %v", n, err)
	}
}

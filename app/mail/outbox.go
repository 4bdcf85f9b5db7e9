package mail

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// FileOutbox is the Transport of the embedded mode: instead of sending, it
// writes each message, exactly as Build renders it (DKIM-signed when a signer
// is given), to DIR/<time>-<message-id>[+s<subscriber id>][+r<tag>].eml,
// where the subscriber id is Message.SubscriberID (when not 0) and the tag a
// keyed tag of the recipient's address (with TagRecipients), so that
// EraseMailTo finds a person's mail by name. A file appears atomically (it is
// written to a hidden temporary file and renamed) so a reader never sees half
// a message. The directory is created with mode 0700 and files with 0600:
// they hold personal data.
type FileOutbox struct {
	dir  string
	dkim *DKIMSigner
	tag  func(address string) string
}

// TagRecipients names every file written from now on by tag(recipient
// address) too, a keyed hash such as app.Signer.AddressTag: letters and
// digits only. It must be called before the first Send.
func (o *FileOutbox) TagRecipients(tag func(address string) string) { o.tag = tag }

// NewFileOutbox returns an outbox writing to dir; the directory is created on
// first use.
func NewFileOutbox(dir string, dkim *DKIMSigner) *FileOutbox {
	return &FileOutbox{dir: dir, dkim: dkim}
}

// Dir returns the directory messages are written to.
func (o *FileOutbox) Dir() string { return o.dir }

// Send writes each message to its own file and returns one Result per
// message. File system errors are Temporary; messages Build rejects are
// Permanent.
func (o *FileOutbox) Send(ctx context.Context, msgs []*Message) []Result {
	results := make([]Result, len(msgs))
	if len(msgs) == 0 {
		return results
	}
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		fillResults(results, 0, temporaryResult(fmt.Errorf("outbox: %w", err)))
		return results
	}
	for i, m := range msgs {
		if err := ctx.Err(); err != nil {
			fillResults(results, i, temporaryResult(fmt.Errorf("outbox: %w", err)))
			break
		}
		now := time.Now()
		raw, _, err := build(m, o.dkim, now)
		if err != nil {
			results[i] = Classify(err)
			continue
		}
		name := now.UTC().Format("20060102T150405.000000000Z") + "-" + fileSafe(m.MessageID) + o.recipientSuffix(m) + ".eml"
		if err := writeFileAtomic(filepath.Join(o.dir, name), raw); err != nil {
			results[i] = temporaryResult(fmt.Errorf("outbox: %w", err))
		}
	}
	return results
}

// recipientSuffix names the recipient in a file name: "+s<id>" and
// "+r<tag>". fileSafe never writes "+", so the suffix cannot be forged by a
// message id.
func (o *FileOutbox) recipientSuffix(m *Message) string {
	var b strings.Builder
	if m.SubscriberID > 0 {
		b.WriteString("+s" + strconv.FormatInt(m.SubscriberID, 10))
	}
	if o.tag != nil {
		if tag := o.tag(m.To); tag != "" {
			b.WriteString("+r" + tag)
		}
	}
	return b.String()
}

// EraseMailTo deletes, in one pass over the folder, every message written
// for one of subscriberIDs or, with TagRecipients, to one of addresses, and
// reports how many it deleted. It implements app.MailFiles. Messages
// written before their files were named so are not found.
func (o *FileOutbox) EraseMailTo(ctx context.Context, subscriberIDs []int64, addresses ...string) (int, error) {
	want := map[string]bool{}
	for _, id := range subscriberIDs {
		if id > 0 {
			want["s"+strconv.FormatInt(id, 10)] = true
		}
	}
	if o.tag != nil {
		for _, a := range addresses {
			if tag := o.tag(a); tag != "" {
				want["r"+tag] = true
			}
		}
	}
	if len(want) == 0 {
		return 0, nil
	}
	entries, err := os.ReadDir(o.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	deleted := 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		name, ok := strings.CutSuffix(e.Name(), ".eml")
		if !ok || e.IsDir() {
			continue
		}
		parts := strings.Split(name, "+")
		for _, p := range parts[1:] {
			if want[p] {
				if err := os.Remove(filepath.Join(o.dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return deleted, fmt.Errorf("outbox: %w", err)
				}
				deleted++
				break
			}
		}
	}
	if deleted > 0 {
		if err := syncDir(o.dir); err != nil {
			return deleted, fmt.Errorf("outbox: %w", err)
		}
	}
	return deleted, nil
}

// Close implements Transport; there is nothing to release.
func (o *FileOutbox) Close() error { return nil }

// writeFileAtomic writes data to a temporary file in the same directory,
// flushes it to disk and renames it to path, then flushes the directory:
// a message reported written survives a crash of the machine, as one
// handed to an SMTP server would.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*.eml")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		_ = os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		_ = os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir flushes a directory's entries (a rename in it) to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return err
	}
	return d.Close()
}

// fileSafe keeps letters, digits, dots, hyphens and underscores of a message
// id (others become "_") and bounds its length.
func fileSafe(id string) string {
	const maxLen = 100
	b := make([]byte, 0, min(len(id), maxLen))
	for i := 0; i < len(id) && len(b) < maxLen; i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_':
			b = append(b, c)
		case c == '<' || c == '>':
		default:
			b = append(b, '_')
		}
	}
	if len(b) == 0 {
		return "message"
	}
	return string(b)
}

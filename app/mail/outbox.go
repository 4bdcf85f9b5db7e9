package mail

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// FileOutbox is the Transport of the embedded mode: instead of sending, it
// writes each message, exactly as Build renders it (DKIM-signed when a signer
// is given), to DIR/<time>-<message-id>.eml. A file appears atomically (it is
// written to a hidden temporary file and renamed) so a reader never sees half
// a message. The directory is created with mode 0700 and files with 0600:
// they hold personal data.
type FileOutbox struct {
	dir  string
	dkim *DKIMSigner
}

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
		name := now.UTC().Format("20060102T150405.000000000Z") + "-" + fileSafe(m.MessageID) + ".eml"
		if err := writeFileAtomic(filepath.Join(o.dir, name), raw); err != nil {
			results[i] = temporaryResult(fmt.Errorf("outbox: %w", err))
		}
	}
	return results
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

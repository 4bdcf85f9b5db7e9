package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"newsletter/app/config"
)

const benchUsage = `newsletter bench: the product's benchmarks

  newsletter bench http [--url URL] [--concurrency 32,64] [--requests N] [--duration D]
      subscriptions (POST /subscribe) and RFC 8058 one-click opt-outs (POST /u/{token})
      against a running instance (--url), or one it starts itself with this environment
`

// bench runs a benchmark command.
func bench(ctx context.Context, cfg *config.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"bench: want a benchmark name\n" + benchUsage}
	}
	switch args[0] {
	case "http":
		return benchHTTP(ctx, cfg, args[1:], stdout, stderr)
	default:
		return usageError{fmt.Sprintf("bench: unknown benchmark %q\n%s", args[0], benchUsage)}
	}
}

// machine describes the machine a benchmark ran on.
func machine() string {
	model := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	return fmt.Sprintf("%s, %d cores, %s %s/%s", model, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

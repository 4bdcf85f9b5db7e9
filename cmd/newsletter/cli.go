package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"newsletter/app"
	"newsletter/app/config"
	"newsletter/app/store"
)

// Exit codes.
const (
	exitOK     = 0
	exitFail   = 1
	exitConfig = 2
)

const usage = `newsletter: a newsletter subscription manager

Usage:
  newsletter [serve]                       web, workers, scheduler and mailbox poller in one process
  newsletter web                           the web server only
  newsletter worker                        the queue workers only
  newsletter migrate                       apply database migrations and exit
  newsletter admin create --email E --role R   create an admin (owner, marketer, privacy_officer)
  newsletter admin token --email E         print a new API token for an admin
  newsletter import [--dry-run] FILE.csv   import subscribers with their recorded consent
  newsletter bench http [flags]            HTTP load benchmark (see newsletter bench)
  newsletter bench send --recipients N     campaign sending benchmark (see newsletter bench)
  newsletter help                          this text

Configuration is read from the environment; see README.md.
`

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitConfig
	}
	var exitErr error
	switch cmd {
	case "serve", "web", "worker":
		exitErr = serve(ctx, cfg, cmd, stdout, stderr)
	case "migrate":
		exitErr = migrate(ctx, cfg, stdout)
	case "admin":
		exitErr = adminCmd(ctx, cfg, args, stdout)
	case "import":
		exitErr = importCmd(ctx, cfg, args, stdout, stderr)
	case "bench":
		exitErr = bench(ctx, cfg, args, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "newsletter: unknown command %q\n\n%s", cmd, usage)
		return exitConfig
	}
	if exitErr == nil {
		return exitOK
	}
	var ce *config.Error
	var ue usageError
	switch {
	case errors.As(exitErr, &ce):
		fmt.Fprintln(stderr, ce)
		return exitConfig
	case errors.As(exitErr, &ue):
		fmt.Fprintln(stderr, "newsletter:", ue.msg)
		return exitConfig
	case app.ErrorCode(exitErr) != app.EINTERNAL:
		fmt.Fprintln(stderr, "newsletter:", app.ErrorMessage(exitErr), fieldsText(exitErr))
		return exitFail
	default:
		fmt.Fprintln(stderr, "newsletter:", exitErr)
		return exitFail
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func fieldsText(err error) string {
	var parts []string
	for k, v := range app.ErrorFields(err) {
		parts = append(parts, k+": "+v)
	}
	return strings.Join(parts, "; ")
}

// openMigrated opens the database of a command (creating the data folder
// in the embedded mode) and migrates it; it returns how many migrations it
// applied. The caller closes the store.
func openMigrated(ctx context.Context, cfg *config.Config) (*store.Store, int, error) {
	if cfg.Embedded() {
		if err := ensureDataDir(cfg); err != nil {
			return nil, 0, err
		}
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, 0, err
	}
	n, err := st.Migrate(ctx)
	if err != nil {
		st.Close()
		return nil, 0, err
	}
	return st, n, nil
}

func migrate(ctx context.Context, cfg *config.Config, stdout io.Writer) error {
	st, n, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %d migrations; schema version %d\n", n, v)
	return nil
}

func adminCmd(ctx context.Context, cfg *config.Config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"admin: want create or token"}
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("admin "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "admin email")
	role := fs.String("role", "", "role: owner, marketer or privacy_officer")
	name := fs.String("name", "cli", "token name")
	if err := fs.Parse(args); err != nil {
		return usageError{fmt.Sprintf("admin %s: %v", sub, err)}
	}
	if *email == "" {
		return usageError{fmt.Sprintf("admin %s: --email is required", sub)}
	}
	st, _, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	admins := &app.Admins{Store: st}
	switch sub {
	case "create":
		if *role == "" {
			return usageError{"admin create: --role is required (owner, marketer or privacy_officer)"}
		}
		a, password, err := admins.Create(ctx, *email, app.Role(*role))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created %s (%s); password: %s\n", a.Email, a.Role, password)
	case "token":
		token, err := admins.NewToken(ctx, *email, *name)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, token)
	default:
		return usageError{fmt.Sprintf("admin: unknown subcommand %q", sub)}
	}
	return nil
}

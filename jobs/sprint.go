package jobs

import "fmt"

func slogSprint(args ...any) string { return fmt.Sprint(args...) }

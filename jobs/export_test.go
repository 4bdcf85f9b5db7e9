package jobs

// NewOwner is newOwner, for tests that play a process that died.
var NewOwner = newOwner

// RetryDelay is retryDelay, for tests of the retry schedules.
var RetryDelay = retryDelay

package jobs

// NewOwner is newOwner, for tests that play a process that died.
var NewOwner = newOwner

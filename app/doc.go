// Package app holds the domain of the newsletter: subscribers and their
// consents, campaigns, data-subject requests and the rules that govern them,
// and the use cases that change them. It imports no web, queue or ORM package;
// the interfaces it needs are declared here and implemented elsewhere.
package app

module assokit

go 1.26.8

require github.com/mattn/go-sqlite3 v1.14.53

require (
	github.com/emersion/go-ical v0.0.0-20240127095438-fc1c9d8fb2b6 // indirect
	github.com/emersion/go-vcard v0.0.0-20230815062825-8fda7d206ec9 // indirect
	github.com/emersion/go-webdav v0.6.0 // indirect
	github.com/teambition/rrule-go v1.8.2 // indirect
	golang.org/x/net v0.62.0 // indirect
)

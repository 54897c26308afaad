// Command ferretdb runs an embedded FerretDB 1.24 for Tally's dev and test stack: on PostgreSQL with
// --postgresql-url (the default of the project's scripts: updates and deletes stay fast as collections
// grow), on SQLite otherwise.
//
// It wraps the embeddable package instead of building FerretDB's own command, whose
// version check panics when built outside the FerretDB repository (no version.txt).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	port := flag.Int("port", 27017, "TCP port to listen on (loopback only)")
	dataDir := flag.String("data-dir", "", "directory holding the SQLite databases (required)")
	logLevel := flag.String("log-level", "warn", "log level: debug, info, warn, error")
	pgURL := flag.String("postgresql-url", "", "use the PostgreSQL backend at this URL instead of SQLite")
	flag.Parse()

	if err := run(*port, *dataDir, *logLevel, *pgURL); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

func run(port int, dataDir, logLevel, pgURL string) error {
	if dataDir == "" {
		return fmt.Errorf("--data-dir is required")
	}
	absDir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(absDir, 0o755); err != nil {
		return err
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("bad --log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	config := &ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: fmt.Sprintf("127.0.0.1:%d", port)},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + absDir + "/", // the trailing slash makes it a directory URI
	}
	if pgURL != "" {
		config.Handler = "postgresql"
		config.PostgreSQLURL = pgURL
		config.SQLiteURL = ""
	}
	f, err := ferretdb.New(config)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	return f.Run(ctx)
}

// Command ferretdb-embedded runs FerretDB v1 (MongoDB wire protocol, SQLite backend) for taser's tests and for
// the run command's embedded default. It imports the embeddable package because the released ferretdb
// command panics without a generated version file (see shared/STACK_NOTES.md).
//
// Usage: ferretdb-embedded -listen 127.0.0.1:27017 -dir /path/to/sqlite/dir
// It prints "READY <addr>" on stdout once it accepts connections and stops on SIGINT/SIGTERM.
// With TASER_FERRETDB_PPROF=127.0.0.1:PORT it also serves Go's profiler (net/http/pprof) there, for measuring.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof" // only served when TASER_FERRETDB_PPROF is set
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on (127.0.0.1 only)")
	dir := flag.String("dir", "", "directory for the SQLite files (created if missing)")
	flag.Parse()

	if *dir == "" {
		fmt.Fprintln(os.Stderr, "ferretdb-embedded: -dir is required")
		os.Exit(2)
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-embedded:", err)
		os.Exit(2)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-embedded:", err)
		os.Exit(2)
	}

	addr := *listen
	// Port 0: pick a free port ourselves so we can report it.
	if host, port, err := net.SplitHostPort(addr); err == nil && port == "0" {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "ferretdb-embedded:", err)
			os.Exit(1)
		}
		addr = l.Addr().String()
		l.Close()
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-embedded:", err)
		os.Exit(1)
	}

	if pprofAddr := os.Getenv("TASER_FERRETDB_PPROF"); pprofAddr != "" {
		go func() { fmt.Fprintln(os.Stderr, "ferretdb-embedded: pprof:", http.ListenAndServe(pprofAddr, nil)) }()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	// Wait until the port accepts connections before announcing readiness.
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-done:
			fmt.Fprintln(os.Stderr, "ferretdb-embedded: stopped before ready:", err)
			os.Exit(1)
		default:
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "ferretdb-embedded: not ready after 30s")
			os.Exit(1)
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("READY %s\n", addr)

	if err := <-done; err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "ferretdb-embedded:", err)
		os.Exit(1)
	}
}

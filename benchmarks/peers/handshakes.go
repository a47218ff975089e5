// A TLS handshake load client: each of CONCURRENCY goroutines connects, completes the handshake, sends one byte,
// reads it back (so a TLS 1.3 session ticket is read) and closes, until SECONDS have passed.
// usage: handshakes HOST:PORT CONCURRENCY SECONDS RESUME(0|1)  -> prints "HANDSHAKES RESUMED ERRORS"
package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := os.Args[1]
	workers, _ := strconv.Atoi(os.Args[2])
	secs, _ := strconv.ParseFloat(os.Args[3], 64)
	config := &tls.Config{InsecureSkipVerify: true}
	if os.Args[4] == "1" {
		config.ClientSessionCache = tls.NewLRUClientSessionCache(workers * 2)
	}
	var done, resumed, failed int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(time.Duration(secs * float64(time.Second)))
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			one := []byte{'x'}
			buf := make([]byte, 1)
			for time.Now().Before(deadline) {
				raw, err := net.Dial("tcp", addr)
				if err != nil {
					atomic.AddInt64(&failed, 1)
					continue
				}
				c := tls.Client(raw, config)
				_, err = c.Write(one)
				if err == nil {
					_, err = io.ReadFull(c, buf)
				}
				if err != nil {
					atomic.AddInt64(&failed, 1)
				} else {
					atomic.AddInt64(&done, 1)
					if c.ConnectionState().DidResume {
						atomic.AddInt64(&resumed, 1)
					}
				}
				c.Close()
			}
		}()
	}
	wg.Wait()
	fmt.Printf("%d %d %d\n", done, resumed, failed)
}

// A lean Go closed-loop echo client, to check that netecho bench is not the bottleneck.
// usage: client HOST:PORT CONNECTIONS SIZE SECONDS  -> prints round trips per second
package main

import (
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
	conns, _ := strconv.Atoi(os.Args[2])
	size, _ := strconv.Atoi(os.Args[3])
	secs, _ := strconv.ParseFloat(os.Args[4], 64)
	var count int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(time.Duration(secs * float64(time.Second)))
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			msg := make([]byte, size)
			buf := make([]byte, size)
			for time.Now().Before(deadline) {
				if _, err := c.Write(msg); err != nil {
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				atomic.AddInt64(&count, 1)
			}
		}()
	}
	wg.Wait()
	fmt.Printf("%.0f\n", float64(count)/secs)
}

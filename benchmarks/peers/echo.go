// Idiomatic Go echo server: a goroutine per connection, io.Copy(c, c), which Go turns into splice(2) between the
// two ends of a TCPConn. With "rw", a plain read/write loop through one 64 KiB buffer per connection instead, as a
// server that looks at the bytes must. Usage: echo PORT [rw]
package main

import (
	"fmt"
	"io"
	"net"
	"os"
)

func readWrite(c net.Conn) {
	buf := make([]byte, 64*1024)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func main() {
	rw := len(os.Args) > 2 && os.Args[2] == "rw"
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ready")
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go func(c net.Conn) {
			defer c.Close()
			if rw {
				readWrite(c)
			} else {
				io.Copy(c, c)
			}
		}(c)
	}
}

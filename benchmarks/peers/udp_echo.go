// A Go UDP echo server: one net.ListenUDP loop, each datagram sent back to its sender. Port from argv[1].
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
)

func main() {
	port, _ := strconv.Atoi(os.Args[1])
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buf := make([]byte, 65536)
	for {
		n, addr, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			continue
		}
		c.WriteToUDPAddrPort(buf[:n], addr)
	}
}

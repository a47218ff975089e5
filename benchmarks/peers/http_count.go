// An HTTP/1.1 server that counts: every POST is answered with its body (raw), except every Nth, which gets a 500;
// GET /count answers "POSTS FIVE_HUNDREDS" and GET /reset sets both to 0. For checking a load generator's counts.
// usage: http_count PORT N
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
)

func main() {
	every, _ := strconv.ParseInt(os.Args[2], 10, 64)
	var posts, fives int64
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost:
			body, _ := io.ReadAll(r.Body)
			if atomic.AddInt64(&posts, 1)%every == 0 {
				atomic.AddInt64(&fives, 1)
				http.Error(w, "every Nth request fails", http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(body)
		case r.URL.Path == "/count":
			fmt.Fprintf(w, "%d %d", atomic.LoadInt64(&posts), atomic.LoadInt64(&fives))
		case r.URL.Path == "/reset":
			atomic.StoreInt64(&posts, 0)
			atomic.StoreInt64(&fives, 0)
		}
	})
	fmt.Println("ready")
	http.ListenAndServe("127.0.0.1:"+os.Args[1], nil)
}

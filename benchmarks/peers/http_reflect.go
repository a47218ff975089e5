// A Go net/http server that reflects each request as JSON (method, url, path, query, headers, body, client), the
// shape netecho's HTTP reflection has, without its limits. Keep-alive as net/http does. Port from argv[1].
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"unicode/utf8"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		headers := map[string]string{"host": r.Host}
		for k, v := range r.Header {
			headers[k] = v[0]
		}
		out := map[string]any{
			"method":      r.Method,
			"url":         r.URL.RequestURI(),
			"path":        r.URL.Path,
			"query":       r.URL.Query(),
			"httpVersion": fmt.Sprintf("%d.%d", r.ProtoMajor, r.ProtoMinor),
			"headers":     headers,
			"bodyBytes":   len(body),
			"client":      r.RemoteAddr,
		}
		// As netecho's reflection: text when it is UTF-8, else base64 (encoding/json writes []byte as base64).
		if utf8.Valid(body) {
			out["body"] = string(body)
			out["bodyEncoding"] = "utf8"
		} else {
			out["body"] = body
			out["bodyEncoding"] = "base64"
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		json.NewEncoder(w).Encode(out)
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Args[1], nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

# Behaves as the tutorial's first echo server: one client at a time, recv(1024) / sendall, until the client closes.
# Usage: python3 tutorial_echo_server.py PORT   (binds localhost, as the tutorial does)
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 65432
server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server_socket.bind(('localhost', port))
server_socket.listen()
print("Server started, waiting for connections...", flush=True)
while True:
    client_socket, addr = server_socket.accept()
    with client_socket:
        print(f'Connection from {addr}', flush=True)
        while True:
            data = client_socket.recv(1024)
            if not data:
                break
            client_socket.sendall(data)

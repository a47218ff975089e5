# Behaves as the tutorial's threaded server: a thread per client, each running the first server's echo loop.
# Usage: python3 tutorial_threaded_server.py PORT
import socket
import sys
import threading

port = int(sys.argv[1]) if len(sys.argv) > 1 else 65432


def handle_client(client_socket):
    with client_socket:
        while True:
            data = client_socket.recv(1024)
            if not data:
                break
            client_socket.sendall(data)


server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server_socket.bind(('localhost', port))
server_socket.listen()
while True:
    client_socket, addr = server_socket.accept()
    threading.Thread(target=handle_client, args=(client_socket,), daemon=True).start()

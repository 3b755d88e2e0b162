package dev.tandem.proxy.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A raw-socket server that answers every request with {@code 101 Switching Protocols}, whatever it asked for,
 * then echoes whatever comes after: the server a smuggler hopes for. It records every byte each connection
 * brought, so a test sees exactly what reached it, and whether the proxy closed the connection.
 */
final class SwitchingBackend implements AutoCloseable {

    /** One connection from the proxy. */
    static final class Connection {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private volatile boolean closedByPeer;

        synchronized String text() {
            return bytes.toString(StandardCharsets.ISO_8859_1);
        }

        private synchronized void add(byte[] b, int off, int len) {
            bytes.write(b, off, len);
        }

        boolean closedByPeer() {
            return closedByPeer;
        }
    }

    private final ServerSocket server;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    /** The Upgrade the 101 names; null: the one the request named, or h2c when it named none. */
    private volatile String answer;

    SwitchingBackend() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "switching-backend");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    SwitchingBackend answer(String upgrade) {
        this.answer = upgrade;
        return this;
    }

    String hostPort() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    List<Connection> connections() {
        return connections;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                Connection c = new Connection();
                connections.add(c);
                Thread t = new Thread(() -> serve(s, c), "switching-backend-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s, Connection c) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            StringBuilder head = new StringBuilder();
            int b;
            while (!head.toString().endsWith("\r\n\r\n")) {
                if ((b = in.read()) < 0) {
                    c.closedByPeer = true;
                    return;
                }
                head.append((char) b);
                c.add(new byte[] {(byte) b}, 0, 1);
            }
            String asked = header(head.toString(), "upgrade");
            String upgrade = answer != null ? answer : asked != null ? asked : "h2c";
            out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: " + upgrade + "\r\nConnection: Upgrade\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) >= 0) {
                c.add(buf, 0, n);
                out.write(buf, 0, n);
                out.flush();
            }
            c.closedByPeer = true;
        } catch (IOException e) {
            c.closedByPeer = true;
        }
    }

    private static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}

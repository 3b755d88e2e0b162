package dev.tandem.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One HTTP/1.1 connection kept alive across requests, as a browser or a proxy keeps it: for {@link HttpPoller}'s
 * keep-alive mode. Each {@link #get} sends one GET on the connection it has (opening one when it has none) and
 * reads one whole response. The connection is dropped, and the next request opens another, after a response
 * that says {@code Connection: close} (or is delimited by the close), after any failure, and when the server
 * has closed it while it was idle.
 *
 * <p>A request is retried at most once, on a new connection, and only in the case a browser retries an
 * idempotent request: it was sent on a connection that had already carried a response (a reused one), and that
 * connection ended (end of stream or reset) before a single byte of the response arrived. That is what a server
 * closing an idle keep-alive connection looks like when the client's next request crosses the close; a server
 * never ends a connection with a request it has read and not answered except when it fails. A connection the
 * server closed while idle and that is found closed before the request goes is simply replaced (no retry is
 * used). Everything else fails the request: a refused or timed-out connect, a timeout, a connection that ends
 * after part of the response, a response cut short, a fresh connection that ends before any response byte, the
 * second attempt failing in any way. Not thread-safe.
 */
final class KeepAliveExchange implements AutoCloseable {

    /** The outcome of one request: its response's status and body, or why there is none. */
    record Outcome(boolean answered, String status, String body, long connectMillis, int connection, boolean retried,
                   String error) {
    }

    private final InetSocketAddress server;
    private final byte[] request;
    private final int connectTimeout;
    private final int readTimeout;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    /** The connection has carried a whole response (a request on it now reuses it). */
    private boolean reused;
    private int connections;
    private int retries;

    KeepAliveExchange(InetSocketAddress server, String host, String path, int connectTimeout, int readTimeout) {
        this.server = server;
        this.request = ("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
    }

    /** Connections opened so far. */
    int connections() {
        return connections;
    }

    /** Requests sent a second time (see the class comment). */
    int retries() {
        return retries;
    }

    /** Sends one GET and reads its response; see the class comment for what is retried. */
    Outcome get() {
        long connectMillis = 0;
        boolean retried = false;
        while (true) {
            try {
                if (socket != null && closedWhileIdle()) {
                    drop();
                }
                if (socket == null) {
                    long t = System.nanoTime();
                    open();
                    connectMillis = (System.nanoTime() - t) / 1_000_000L;
                }
            } catch (IOException e) {
                drop();
                return failed(e, connectMillis, retried);
            }
            boolean wasReused = reused;
            Response r = new Response();
            try {
                out.write(request);
                out.flush();
                r.read(in);
            } catch (IOException e) {
                drop();
                if (wasReused && !r.anyByte && !retried && !(e instanceof SocketTimeoutException)) {
                    retried = true;
                    retries++;
                    continue;
                }
                return failed(e, connectMillis, retried);
            }
            if (r.close) {
                drop();
            } else {
                reused = true;
            }
            return new Outcome(true, r.status, r.body, connectMillis, connections, retried, null);
        }
    }

    private Outcome failed(IOException e, long connectMillis, boolean retried) {
        return new Outcome(false, null, null, connectMillis, connections, retried,
                e.getClass().getSimpleName() + ":" + String.valueOf(e.getMessage()).replace(' ', '_'));
    }

    private void open() throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(server, connectTimeout);
            s.setSoTimeout(readTimeout);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        socket = s;
        in = s.getInputStream();
        out = s.getOutputStream();
        reused = false;
        connections++;
    }

    /**
     * Whether the server closed the idle connection (or sent something it should not have): a look of at most a
     * millisecond at what is waiting to be read.
     */
    private boolean closedWhileIdle() {
        try {
            socket.setSoTimeout(1);
            try {
                in.read(); // a byte unasked for, or the end: either way the connection cannot carry a request
                return true;
            } finally {
                socket.setSoTimeout(readTimeout);
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private void drop() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // nothing to do: it is gone either way
            }
        }
        socket = null;
        in = null;
        out = null;
        reused = false;
    }

    @Override
    public void close() {
        drop();
    }

    /** One response, read whole: Content-Length, chunked, or to the end of the connection. */
    private static final class Response {
        boolean anyByte;
        String status = "?";
        String body = "";
        boolean close;

        void read(InputStream in) throws IOException {
            String head = readHead(in);
            String[] lines = head.split("\r\n");
            String[] first = lines[0].split(" ", 3);
            status = first.length > 1 ? first[1] : "?";
            long length = -1;
            boolean chunked = false;
            close = lines[0].startsWith("HTTP/1.0");
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = lines[i].substring(colon + 1).trim().toLowerCase(Locale.ROOT);
                switch (name) {
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.contains("chunked");
                    case "connection" -> close = value.contains("close") ? true : value.contains("keep-alive") ? false : close;
                    default -> { }
                }
            }
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            boolean noBody = status.equals("204") || status.equals("304") || status.startsWith("1");
            if (noBody) {
                length = 0;
            } else if (chunked) {
                while (true) {
                    String size = readLine(in);
                    int semi = size.indexOf(';');
                    long n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                    if (n == 0) {
                        while (!readLine(in).isEmpty()) {
                            // trailers
                        }
                        break;
                    }
                    b.write(readExactly(in, n));
                    readLine(in);
                }
            } else if (length >= 0) {
                b.write(readExactly(in, length));
            } else {
                b.write(in.readAllBytes());
                close = true;
            }
            body = b.toString(StandardCharsets.UTF_8).trim();
        }

        private String readHead(InputStream in) throws IOException {
            StringBuilder head = new StringBuilder();
            while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    throw new EOFException(anyByte ? "closed in the response head" : "closed before any response byte");
                }
                anyByte = true;
                head.append((char) c);
            }
            return head.substring(0, head.length() - 4);
        }

        private static String readLine(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder();
            while (true) {
                int c = in.read();
                if (c < 0) {
                    throw new EOFException("closed in a chunked body");
                }
                if (c == '\n') {
                    int end = line.length() - (line.length() > 0 && line.charAt(line.length() - 1) == '\r' ? 1 : 0);
                    return line.substring(0, end);
                }
                line.append((char) c);
            }
        }

        private static byte[] readExactly(InputStream in, long n) throws IOException {
            byte[] b = in.readNBytes((int) n);
            if (b.length < n) {
                throw new EOFException("closed after " + b.length + " of " + n + " body bytes");
            }
            return b;
        }
    }
}

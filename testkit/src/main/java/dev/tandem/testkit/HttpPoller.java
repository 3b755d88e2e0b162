package dev.tandem.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * A client that asks for one URL over and over, each time on a new connection ({@code Connection: close}), or
 * with {@code --keepalive} on one connection kept alive as browsers and proxies keep theirs, and reports what it
 * saw: the failover labs run it inside the client's network namespace. One line per request
 * ({@code START_MS END_MS ok|fail DETAIL}, DETAIL of an answer: {@code STATUS BODY connect_ms=N}, milliseconds
 * since the poller started; with {@code --keepalive} followed by {@code conn=K}, the number of the connection
 * that carried it, and {@code retried} when it was sent twice) and a closing summary:
 * {@code summary requests=N ok=N failed=N max_gap_ms=N}, where the gap is the longest time between two
 * answered requests (the client-seen outage); with {@code --keepalive} followed by {@code connections=N
 * retried=N}. The first line, {@code t0_epoch_ms=N}, is the wall-clock time of millisecond 0, so that a lab can
 * tell the requests made before a fault it caused from those made after.
 *
 * <p>A request is ok when it got a whole response with a 2xx status. With {@code --keepalive}, the connection
 * is replaced after a response that says {@code Connection: close}, after a failure, and when the server closed
 * it while idle; a request is sent a second time (once, on a new connection) only when it went on a reused
 * connection that ended before a single byte of its response came, which is how a server's close of an idle
 * connection looks when the request crosses it, and what browsers retry. Any other failure fails the request:
 * see {@link KeepAliveExchange}.
 *
 * <p>Usage: {@code HttpPoller URL INTERVAL_MS DURATION_MS [CONNECT_TIMEOUT_MS] [READ_TIMEOUT_MS] [--keepalive]
 * [--until FILE]}. Bounded by DURATION_MS; exits 0 once it has run that long, or, with {@code --until}, as soon
 * as FILE exists (a lab that waits on what happens, rather than on a time it guessed, ends it so).
 */
public final class HttpPoller {

    private HttpPoller() {
    }

    public static void main(String[] all) throws Exception {
        List<String> rest = new ArrayList<>(Arrays.asList(all));
        boolean keepAlive = rest.remove("--keepalive");
        int u = rest.indexOf("--until");
        Path until = null;
        if (u >= 0 && u + 1 < rest.size()) {
            until = Path.of(rest.remove(u + 1));
            rest.remove(u);
        }
        String[] args = rest.toArray(String[]::new);
        if (args.length < 3 || u >= 0 && until == null) {
            System.err.println("usage: HttpPoller URL INTERVAL_MS DURATION_MS [CONNECT_TIMEOUT_MS] [READ_TIMEOUT_MS] "
                    + "[--keepalive] [--until FILE]");
            System.exit(64);
        }
        URI uri = URI.create(args[0]);
        long interval = Long.parseLong(args[1]);
        long duration = Long.parseLong(args[2]);
        int connectTimeout = args.length > 3 ? Integer.parseInt(args[3]) : 100;
        int readTimeout = args.length > 4 ? Integer.parseInt(args[4]) : 1000;
        Path stop = until;
        BooleanSupplier stopped = () -> stop != null && Files.exists(stop);
        if (keepAlive) {
            pollKeepAlive(uri, interval, duration, connectTimeout, readTimeout, System.out, stopped);
        } else {
            poll(uri, interval, duration, connectTimeout, readTimeout, System.out, stopped);
        }
    }

    static void pollKeepAlive(URI uri, long interval, long duration, int connectTimeout, int readTimeout,
                              PrintStream out) throws InterruptedException {
        pollKeepAlive(uri, interval, duration, connectTimeout, readTimeout, out, () -> false);
    }

    static void poll(URI uri, long interval, long duration, int connectTimeout, int readTimeout, PrintStream out)
            throws InterruptedException {
        poll(uri, interval, duration, connectTimeout, readTimeout, out, () -> false);
    }

    /** As {@link #poll}, every request on one kept-alive connection for as long as it lasts. */
    static void pollKeepAlive(URI uri, long interval, long duration, int connectTimeout, int readTimeout,
                              PrintStream out, BooleanSupplier stopped) throws InterruptedException {
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        long t0 = System.nanoTime();
        out.println("t0_epoch_ms=" + System.currentTimeMillis());
        long requests = 0;
        long ok = 0;
        long lastOk = -1;
        long maxGap = 0;
        try (KeepAliveExchange client = new KeepAliveExchange(new InetSocketAddress(uri.getHost(), port), uri.getHost(),
                path, connectTimeout, readTimeout)) {
            while (System.nanoTime() - t0 < duration * 1_000_000L && !stopped.getAsBoolean()) {
                long start = ms(t0);
                KeepAliveExchange.Outcome o = client.get();
                long end = ms(t0);
                boolean success = o.answered() && o.status().startsWith("2");
                String detail = o.answered()
                        ? o.status() + " " + (o.body().isEmpty() ? "-" : o.body().split("\\s+")[0]) + " connect_ms="
                            + o.connectMillis()
                        : o.error();
                detail += " conn=" + o.connection() + (o.retried() ? " retried" : "");
                requests++;
                if (success) {
                    ok++;
                    if (lastOk >= 0) {
                        maxGap = Math.max(maxGap, end - lastOk);
                    }
                    lastOk = end;
                }
                out.println(start + " " + end + " " + (success ? "ok " : "fail ") + detail);
                out.flush();
                Thread.sleep(interval);
            }
            out.printf(Locale.ROOT, "summary requests=%d ok=%d failed=%d max_gap_ms=%d connections=%d retried=%d%n",
                    requests, ok, requests - ok, maxGap, client.connections(), client.retries());
            out.flush();
        }
    }

    /** Polls until {@code duration} has passed or {@code stopped} says so, then prints the summary. */
    static void poll(URI uri, long interval, long duration, int connectTimeout, int readTimeout, PrintStream out,
                     BooleanSupplier stopped) throws InterruptedException {
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        long t0 = System.nanoTime();
        out.println("t0_epoch_ms=" + System.currentTimeMillis());
        long requests = 0;
        long ok = 0;
        long lastOk = -1;
        long maxGap = 0;
        while (System.nanoTime() - t0 < duration * 1_000_000L && !stopped.getAsBoolean()) {
            long start = ms(t0);
            String detail;
            boolean success;
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(uri.getHost(), port), connectTimeout);
                long connected = ms(t0);
                s.setSoTimeout(readTimeout);
                OutputStream o = s.getOutputStream();
                o.write(request);
                o.flush();
                String response = readAll(s.getInputStream());
                int sp = response.indexOf(' ');
                String status = sp > 0 && response.length() >= sp + 4 ? response.substring(sp + 1, sp + 4) : "?";
                int bodyAt = response.indexOf("\r\n\r\n");
                String body = bodyAt < 0 ? "" : response.substring(bodyAt + 4).trim();
                success = status.startsWith("2");
                detail = status + " " + (body.isEmpty() ? "-" : body.split("\\s+")[0]) + " connect_ms="
                        + (connected - start);
            } catch (IOException e) {
                success = false;
                detail = e.getClass().getSimpleName() + ":" + String.valueOf(e.getMessage()).replace(' ', '_');
            }
            long end = ms(t0);
            requests++;
            if (success) {
                ok++;
                if (lastOk >= 0) {
                    maxGap = Math.max(maxGap, end - lastOk);
                }
                lastOk = end;
            }
            // One line per request as it happens, so that a lab can wait until the client is running.
            out.println(start + " " + end + " " + (success ? "ok " : "fail ") + detail);
            out.flush();
            Thread.sleep(interval);
        }
        out.printf(Locale.ROOT, "summary requests=%d ok=%d failed=%d max_gap_ms=%d%n", requests, ok, requests - ok, maxGap);
        out.flush();
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000L;
    }

    private static String readAll(InputStream in) throws IOException {
        byte[] b = in.readNBytes(64 * 1024);
        return new String(b, StandardCharsets.ISO_8859_1);
    }
}

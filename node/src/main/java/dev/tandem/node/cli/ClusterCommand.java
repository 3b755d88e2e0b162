package dev.tandem.node.cli;

import dev.tandem.node.admin.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code tandem handover} and {@code tandem resume} [--admin HOST:PORT] [--config FILE] [--token TOKEN]:
 * ask a running node, through its admin listener, to hand its VIPs over (and wait, printing progress, until
 * it holds none, at most {@code --timeout} seconds, 60 by default), or to take part in elections again.
 * The address and token are found as for {@code tandem status}. Exit status: 0 when done, 1 otherwise.
 */
final class ClusterCommand {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration POLL = Duration.ofMillis(200);

    private final AdminCall call;
    private final PrintStream out;
    private final PrintStream err;

    private ClusterCommand(AdminCall call, PrintStream out, PrintStream err) {
        this.call = call;
        this.out = out;
        this.err = err;
    }

    static int run(String command, Deque<String> args, PrintStream out, PrintStream err) throws Main.UsageException {
        String admin = null;
        Path config = null;
        String token = System.getenv(StatusCommand.TOKEN_ENV);
        long timeoutSeconds = 60;
        while (!args.isEmpty()) {
            String a = args.poll();
            switch (a) {
                case "--admin" -> admin = Main.value(args, a);
                case "--config", "-c" -> config = Path.of(Main.value(args, a));
                case "--token" -> token = Main.value(args, a);
                case "--timeout" -> {
                    if (!command.equals("handover")) {
                        throw new Main.UsageException("unknown option '" + a + "'");
                    }
                    try {
                        timeoutSeconds = Long.parseLong(Main.value(args, a));
                    } catch (NumberFormatException e) {
                        throw new Main.UsageException("--timeout: expected whole seconds");
                    }
                }
                default -> throw new Main.UsageException("unknown option '" + a + "'");
            }
        }
        AdminCall call = AdminCall.to(command, admin, config, token, REQUEST_TIMEOUT, err);
        if (call == null) {
            return Main.INVALID;
        }
        ClusterCommand c = new ClusterCommand(call, out, err);
        try {
            return command.equals("handover") ? c.handover(Duration.ofSeconds(timeoutSeconds)) : c.resume();
        } catch (IOException e) {
            err.println(call.unreachable(e));
            return Main.INVALID;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Main.INVALID;
        }
    }

    /** The problem with an answer, or null when it is {@code expected}. */
    private String refused(HttpResponse<String> r, int expected) {
        if (r.statusCode() == expected) {
            return null;
        }
        if (r.statusCode() == 404) {
            return "the node at " + call.target() + " has no cluster";
        }
        return call.refusal(r);
    }

    private int handover(Duration timeout) throws IOException, InterruptedException {
        HttpResponse<String> r = call.send("POST", "/api/handover");
        String problem = refused(r, 202);
        if (problem != null) {
            err.println("tandem handover: " + problem);
            return Main.INVALID;
        }
        out.println("handover started: peers take the VIPs; this node serves until each is announced and drained");
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (true) {
            Map<?, ?> cluster = cluster();
            String progress = progress(cluster);
            if (!progress.equals(last)) {
                out.print(progress);
                out.flush();
                last = progress;
            }
            if (Boolean.TRUE.equals(cluster.get("maintenance")) && list(cluster.get("handover_pending")).isEmpty()) {
                out.println("handover complete: this node holds no VIP, and stays out of elections until "
                        + "`tandem resume` or a restart");
                return Main.OK;
            }
            if (System.nanoTime() - deadline >= 0) {
                err.println("tandem handover: still holding " + list(cluster.get("handover_pending")) + " after "
                        + timeout.toSeconds() + "s (no peer took over?); the node keeps serving them and goes on trying");
                return Main.INVALID;
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    private int resume() throws IOException, InterruptedException {
        HttpResponse<String> r = call.send("POST", "/api/resume");
        String problem = refused(r, 200);
        if (problem != null) {
            err.println("tandem resume: " + problem);
            return Main.INVALID;
        }
        out.println("resumed: this node takes part in elections again");
        return Main.OK;
    }

    private Map<?, ?> cluster() throws IOException, InterruptedException {
        HttpResponse<String> r = call.send("GET", "/status");
        String problem = refused(r, 200);
        if (problem != null) {
            throw new IOException(problem);
        }
        Object tree = Json.parse(r.body());
        Object cluster = tree instanceof Map<?, ?> m ? m.get("cluster") : null;
        if (!(cluster instanceof Map<?, ?> c)) {
            throw new IOException("the node at " + call.target() + " has no cluster section in /status");
        }
        return c;
    }

    /** One line per VIP: its state here, who holds it, and what the handover waits for. */
    static String progress(Map<?, ?> cluster) {
        StringBuilder b = new StringBuilder();
        List<?> pending = list(cluster.get("handover_pending"));
        for (Object o : list(cluster.get("vips"))) {
            if (!(o instanceof Map<?, ?> v)) {
                continue;
            }
            String vip = String.valueOf(v.get("vip"));
            String holder = Objects.toString(v.get("holder"), "none");
            b.append("  ").append(vip).append(": ").append(v.get("state")).append(", held by ").append(holder);
            if (pending.contains(vip)) {
                b.append(Boolean.TRUE.equals(v.get("address_present")) && "BACKUP".equals(v.get("state"))
                        ? " (handed over; draining before the address goes)"
                        : " (waiting for a peer to take it and announce it)");
            }
            b.append('\n');
        }
        return b.toString();
    }

    private static List<?> list(Object o) {
        return o instanceof List<?> l ? l : List.of();
    }
}

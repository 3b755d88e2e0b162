package dev.tandem.node.cli;

import dev.tandem.conf.Config;
import dev.tandem.conf.ConfigException;
import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Defaults;
import dev.tandem.conf.HostPort;
import dev.tandem.node.admin.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code tandem status [--admin HOST:PORT] [--config FILE] [--token TOKEN] [--json]}: reads {@code /status}
 * from a running node's admin listener and prints it as tables, or as the raw JSON.
 *
 * <p>The address is {@code --admin}, else the {@code admin.bind} of {@code --config}, else
 * {@link Defaults#ADMIN_BIND}. The token is {@code --token}, else {@code $TANDEM_ADMIN_TOKEN}, else the
 * config's {@code admin.token}. Exit status: 0 when the node answered, 1 when it could not be reached or
 * refused the request.
 */
public final class StatusCommand {

    static final String TOKEN_ENV = "TANDEM_ADMIN_TOKEN";
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private StatusCommand() {
    }

    static int run(Deque<String> args, PrintStream out, PrintStream err) throws Main.UsageException {
        String admin = null;
        Path config = null;
        String token = System.getenv(TOKEN_ENV);
        boolean json = false;
        while (!args.isEmpty()) {
            String a = args.poll();
            switch (a) {
                case "--admin" -> admin = Main.value(args, a);
                case "--config", "-c" -> config = Path.of(Main.value(args, a));
                case "--token" -> token = Main.value(args, a);
                case "--json" -> json = true;
                default -> throw new Main.UsageException("unknown option '" + a + "'");
            }
        }
        HostPort target;
        if (admin != null) {
            try {
                target = HostPort.parse(admin, -1);
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException("--admin " + e.getMessage());
            }
        } else if (config != null) {
            Config c;
            try {
                c = ConfigLoader.load(config, 0).config();
            } catch (ConfigException e) {
                err.println("tandem status: " + config + " does not validate (tandem check " + config + ")");
                return Main.INVALID;
            } catch (IOException e) {
                err.println("tandem status: cannot read " + config + ": " + e.getMessage());
                return Main.INVALID;
            }
            target = AdminTarget.of(c);
            if (token == null) {
                token = c.admin().token().orElse(null);
            }
        } else {
            target = Defaults.ADMIN_BIND;
        }
        return fetch(connectable(target), token, json, out, err);
    }

    /** A wildcard bind address is reached on loopback. */
    static HostPort connectable(HostPort bind) {
        return switch (bind.host()) {
            case "0.0.0.0" -> new HostPort("127.0.0.1", bind.port());
            case "::", "0:0:0:0:0:0:0:0" -> new HostPort("::1", bind.port());
            default -> bind;
        };
    }

    private static int fetch(HostPort target, String token, boolean json, PrintStream out, PrintStream err) {
        URI uri = URI.create("http://" + target + "/status");
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response;
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException e) {
            err.println("tandem status: cannot reach the admin listener at " + target
                    + " (connection refused): is Tandem running there? (--admin HOST:PORT or --config FILE)");
            return Main.INVALID;
        } catch (HttpTimeoutException e) {
            err.println("tandem status: the admin listener at " + target + " did not answer within " + TIMEOUT.toSeconds() + "s");
            return Main.INVALID;
        } catch (IOException e) {
            err.println("tandem status: cannot reach the admin listener at " + target + ": " + e);
            return Main.INVALID;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Main.INVALID;
        }
        if (response.statusCode() == 401) {
            err.println("tandem status: " + target + " wants a token: --token TOKEN, $" + TOKEN_ENV + " or --config FILE");
            return Main.INVALID;
        }
        if (response.statusCode() != 200) {
            err.println("tandem status: " + uri + " answered HTTP " + response.statusCode() + ": " + response.body().strip());
            return Main.INVALID;
        }
        if (json) {
            out.println(response.body().strip());
            return Main.OK;
        }
        Object tree;
        try {
            tree = Json.parse(response.body());
        } catch (IOException e) {
            err.println("tandem status: " + uri + " answered something that is not JSON: " + e.getMessage());
            return Main.INVALID;
        }
        if (!(tree instanceof Map<?, ?> status)) {
            err.println("tandem status: " + uri + " answered JSON that is not an object");
            return Main.INVALID;
        }
        out.print(StatusTable.render(status));
        return Main.OK;
    }

    /** Renders {@code /status} for a terminal. */
    public static final class StatusTable {

        private StatusTable() {
        }

        public static String render(Map<?, ?> status) {
            StringBuilder b = new StringBuilder();
            Map<?, ?> node = map(status.get("node"));
            b.append("node      ").append(str(node.get("name"))).append("  (tandem ").append(str(node.get("version")))
                    .append(", up ").append(uptime(node.get("uptime_seconds"))).append(", ").append(str(node.get("transport")))
                    .append(")\n");
            Map<?, ?> config = map(status.get("config"));
            b.append("config    version ").append(str(config.get("version"))).append("  ")
                    .append(str(config.get("hash")).substring(0, Math.min(12, str(config.get("hash")).length())))
                    .append("  ").append(str(config.get("file")))
                    .append(Boolean.TRUE.equals(config.get("watched")) ? " (watched)" : "").append('\n');
            Map<?, ?> reload = map(config.get("last_reload"));
            b.append("reload    ").append(str(reload.get("result"))).append(" (").append(str(reload.get("trigger")))
                    .append(" at ").append(str(reload.get("at"))).append("): ").append(str(reload.get("message"))).append('\n');
            for (Object e : list(reload.get("errors"))) {
                b.append("          ").append(str(map(e).get("text"))).append('\n');
            }

            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("LISTENER", "ADDRESS", "CONNECTIONS"));
            for (Object o : list(status.get("listeners"))) {
                Map<?, ?> l = map(o);
                rows.add(List.of(str(l.get("name")) + (Boolean.TRUE.equals(l.get("tls")) ? " (tls)" : ""),
                        str(l.get("address")), str(l.get("connections"))));
            }
            b.append('\n').append(table(rows, 2));

            rows = new ArrayList<>();
            rows.add(List.of("UPSTREAM", "SERVER", "STATE", "WEIGHT", "IN-FLIGHT", "RESPONSES", "FAILURES"));
            for (Object o : list(status.get("upstreams"))) {
                Map<?, ?> u = map(o);
                for (Object so : list(u.get("servers"))) {
                    Map<?, ?> s = map(so);
                    rows.add(List.of(str(u.get("name")),
                            str(s.get("address")) + (Boolean.TRUE.equals(s.get("backup")) ? " (backup)" : ""),
                            str(s.get("state")),
                            str(s.get("weight")) + (s.get("weight_override") != null ? "*" : ""),
                            str(s.get("in_flight")), str(s.get("responses")), str(s.get("failures"))));
                }
            }
            b.append('\n').append(table(rows, 3, 4, 5, 6));
            // Why a server takes no traffic, and since when: the table only says that it does not.
            for (Object o : list(status.get("upstreams"))) {
                Map<?, ?> u = map(o);
                for (Object so : list(u.get("servers"))) {
                    Map<?, ?> s = map(so);
                    if (s.get("down_reason") != null) {
                        b.append("why       ").append(str(u.get("name"))).append(' ').append(str(s.get("address")))
                                .append(": ").append(str(s.get("down_reason")))
                                .append(s.get("down_since") != null ? " (since " + str(s.get("down_since")) + ")" : "")
                                .append('\n');
                    }
                }
            }

            b.append('\n').append(cluster(status.get("cluster")));
            b.append('\n').append(mirror(status.get("mirror")));
            if (status.get("dns") != null) {
                b.append('\n').append(DnsStatusText.render(status.get("dns")));
            }
            for (Map.Entry<?, ?> e : status.entrySet()) {
                String key = String.valueOf(e.getKey());
                if (!List.of("node", "config", "listeners", "sites", "upstreams", "cluster", "mirror", "dns").contains(key)) {
                    b.append(String.format("%-10s", key)).append(new String(Json.write(e.getValue(), false),
                            StandardCharsets.UTF_8)).append('\n');
                }
            }
            return b.toString();
        }

        /** The cluster: this node's standing, then one row per VIP. */
        private static String cluster(Object section) {
            if (!(section instanceof Map<?, ?> c)) {
                return "cluster   no cluster\n";
            }
            StringBuilder b = new StringBuilder("cluster   node ").append(str(c.get("node")));
            if (Boolean.TRUE.equals(c.get("maintenance"))) {
                b.append(", MAINTENANCE (out of elections until tandem resume)");
            }
            if (!list(c.get("handover_pending")).isEmpty()) {
                b.append(", handing over ").append(list(c.get("handover_pending")));
            }
            if (!Boolean.TRUE.equals(c.get("healthy"))) {
                b.append(", cannot serve: ").append(str(c.get("health_reason")));
            }
            if ("pending".equals(c.get("witness_verdict"))) {
                b.append(", witnesses pending (no VIP until one of ").append(list(c.get("witnesses")))
                        .append(" answers)");
            } else if (!Boolean.TRUE.equals(c.get("witnesses_reached"))) {
                b.append(", reaches no witness of ").append(list(c.get("witnesses")));
            }
            b.append('\n');
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("VIP", "STATE", "HOLDER", "PRIORITY", "PEERS", "LAST CHANGE"));
            for (Object o : list(c.get("vips"))) {
                Map<?, ?> v = map(o);
                StringBuilder peers = new StringBuilder();
                for (Map.Entry<?, ?> p : map(v.get("peers")).entrySet()) {
                    Map<?, ?> pv = map(p.getValue());
                    peers.append(peers.length() == 0 ? "" : " ").append(p.getKey()).append('=').append(str(pv.get("priority")))
                            .append(Boolean.TRUE.equals(pv.get("maintenance")) ? "(maint)" : "")
                            .append(Boolean.TRUE.equals(pv.get("fault")) ? "(fault)" : "");
                }
                rows.add(List.of(str(v.get("vip")) + "/" + str(v.get("prefix_length")) + " " + str(v.get("interface")),
                        Boolean.TRUE.equals(v.get("candidate")) ? str(v.get("state")) : "-",
                        str(v.get("holder")), str(v.get("priority")), peers.length() == 0 ? "-" : peers.toString(),
                        str(v.get("last_reason")) + " " + str(v.get("last_transition"))));
            }
            return b.append(table(rows, 3)).toString();
        }

        /**
         * The mirror: the first sync, one row per mirrored path (version, hash, whether each peer holds the
         * same), the peers (connections, lag, a sync's progress), conflicts, refused configs, refused paths.
         */
        private static String mirror(Object section) {
            if (!(section instanceof Map<?, ?> m)) {
                return "mirror    no mirror\n";
            }
            StringBuilder b = new StringBuilder("mirror    first sync: ")
                    .append(m.get("first_sync") == null ? "under way (elections wait)" : str(m.get("first_sync"))).append('\n');
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("PATH", "VERSION", "HASH", "FILES", "BYTES", "PEERS"));
            for (Object o : list(m.get("paths"))) {
                Map<?, ?> p = map(o);
                StringBuilder peers = new StringBuilder();
                for (Map.Entry<?, ?> e : map(p.get("peers")).entrySet()) {
                    Map<?, ?> ps = map(e.getValue());
                    peers.append(peers.length() == 0 ? "" : " ").append(e.getKey()).append('=')
                            .append(Boolean.TRUE.equals(ps.get("in_sync")) ? "in sync" : "differs (last " + str(ps.get("last_sync")) + ")");
                }
                String hash = str(p.get("hash"));
                rows.add(List.of(str(p.get("path")) + (Boolean.TRUE.equals(p.get("directory")) ? "/" : ""),
                        str(p.get("version")) + "@" + str(p.get("origin")), hash.substring(0, Math.min(12, hash.length())),
                        str(p.get("files")), str(p.get("bytes")), peers.length() == 0 ? "-" : peers.toString()));
            }
            b.append(table(rows, 3, 4));
            for (Object o : list(m.get("peers"))) {
                Map<?, ?> p = map(o);
                b.append("peer      ").append(str(p.get("node"))).append(": ")
                        .append(Boolean.TRUE.equals(p.get("sending")) ? "sending" : "not sending").append(", ")
                        .append(Boolean.TRUE.equals(p.get("receiving")) ? "receiving" : "not receiving").append(", ")
                        .append(Boolean.TRUE.equals(p.get("in_sync")) ? "in sync" : "lag " + str(p.get("lag_seconds")) + " s");
                Map<?, ?> g = map(p.get("progress"));
                if (!g.isEmpty() && !String.valueOf(g.get("files_done")).equals(String.valueOf(g.get("files_total")))) {
                    b.append(", receiving ").append(str(g.get("files_done"))).append('/').append(str(g.get("files_total")))
                            .append(" files, ").append(str(g.get("bytes_done"))).append('/').append(str(g.get("bytes_total")))
                            .append(" bytes");
                }
                b.append('\n');
            }
            for (Object o : list(m.get("conflicts"))) {
                Map<?, ?> c = map(o);
                b.append("conflict  ").append(str(c.get("path"))).append(": ").append(str(c.get("loser")))
                        .append(" lost to ").append(str(c.get("winner"))).append(", kept as ").append(str(c.get("kept_as")))
                        .append('\n');
            }
            for (Object o : list(m.get("held_deletions"))) {
                Map<?, ?> h = map(o);
                b.append("held      ").append(str(h.get("path"))).append(": ").append(str(h.get("files"))).append(" of ")
                        .append(str(h.get("files_then"))).append(" files deleted at once ")
                        .append("here".equals(h.get("from")) ? "here" : "by " + str(h.get("from")))
                        .append(", held since ").append(str(h.get("since")))
                        .append(" (tandem mirror confirm|restore ").append(str(h.get("path"))).append(")\n");
            }
            for (Object o : list(m.get("held_pairs"))) {
                Map<?, ?> h = map(o);
                b.append("held      ").append(str(h.get("cert"))).append(" + ").append(str(h.get("key")))
                        .append(": the pair does not pass the check, ")
                        .append("here".equals(h.get("from")) ? "edited here: neither is sent"
                                : "from " + str(h.get("from")) + ": neither is written")
                        .append(", held since ").append(str(h.get("since"))).append('\n');
                for (Object e : list(h.get("errors"))) {
                    b.append("          ").append(str(e)).append('\n');
                }
            }
            Map<?, ?> behind = map(m.get("behind"));
            if (Boolean.TRUE.equals(behind.get("behind"))) {
                b.append("behind    ").append(str(behind.get("files"))).append(" files, ").append(str(behind.get("bytes")))
                        .append(" bytes to come from ").append(str(behind.get("peers")))
                        .append(": no preempting until caught up\n");
            }
            rejection(b, "edited here, not valid: not sent, not applied", m.get("config_rejected"));
            rejection(b, "received, not valid here: refused", m.get("config_refused"));
            for (Object o : list(m.get("refused"))) {
                Map<?, ?> r = map(o);
                b.append("refused   ").append(str(r.get("path"))).append(": ").append(str(r.get("detail")))
                        .append(r.get("from") == null ? " (made here: not sent)" : " (from " + str(r.get("from")) + ": not applied)")
                        .append('\n');
            }
            return b.toString();
        }

        private static void rejection(StringBuilder b, String what, Object o) {
            if (!(o instanceof Map<?, ?> r)) {
                return;
            }
            b.append("config    ").append(str(r.get("path"))).append(" ").append(what).append(" (")
                    .append(str(r.get("from"))).append(", ").append(str(r.get("at"))).append(")\n");
            for (Object e : list(r.get("errors"))) {
                b.append("          ").append(str(e)).append('\n');
            }
        }

        /** Columns padded to their widest cell; columns listed in {@code right} are right-aligned. */
        private static String table(List<List<String>> rows, int... right) {
            int cols = rows.get(0).size();
            int[] width = new int[cols];
            for (List<String> r : rows) {
                for (int i = 0; i < cols; i++) {
                    width[i] = Math.max(width[i], r.get(i).length());
                }
            }
            StringBuilder b = new StringBuilder();
            for (List<String> r : rows) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < cols; i++) {
                    boolean alignRight = false;
                    for (int x : right) {
                        alignRight |= x == i;
                    }
                    String cell = r.get(i);
                    String pad = " ".repeat(width[i] - cell.length());
                    line.append(alignRight ? pad + cell : cell + pad).append(i + 1 < cols ? "  " : "");
                }
                b.append(line.toString().stripTrailing()).append('\n');
            }
            return b.toString();
        }

        private static String uptime(Object seconds) {
            if (!(seconds instanceof Number n)) {
                return "?";
            }
            long s = n.longValue();
            if (s >= 86400) {
                return s / 86400 + "d" + s % 86400 / 3600 + "h";
            }
            if (s >= 3600) {
                return s / 3600 + "h" + s % 3600 / 60 + "m";
            }
            return s >= 60 ? s / 60 + "m" + s % 60 + "s" : s + "s";
        }

        private static Map<?, ?> map(Object o) {
            return o instanceof Map<?, ?> m ? m : Map.of();
        }

        private static List<?> list(Object o) {
            return o instanceof List<?> l ? l : List.of();
        }

        private static String str(Object o) {
            return o == null ? "-" : o instanceof Optional<?> opt ? String.valueOf(opt.orElse(null)) : String.valueOf(o);
        }
    }
}

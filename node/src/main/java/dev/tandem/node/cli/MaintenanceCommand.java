package dev.tandem.node.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Deque;

/**
 * {@code tandem maintenance on|off|config SITE [--admin HOST:PORT] [--config FILE] [--token TOKEN]}: switch a
 * site's maintenance on a running node through its admin listener ({@code config}: back to what the config
 * says). The address and token are found as for {@code tandem status}. Exit status: 0 when done, 1 otherwise.
 */
final class MaintenanceCommand {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private MaintenanceCommand() {
    }

    static int run(Deque<String> args, PrintStream out, PrintStream err) throws Main.UsageException {
        String action = args.poll();
        if (action == null || !(action.equals("on") || action.equals("off") || action.equals("config"))) {
            throw new Main.UsageException("expected on, off or config, then a site");
        }
        String site = args.poll();
        if (site == null || site.startsWith("--")) {
            throw new Main.UsageException("expected a site (one of its host names)");
        }
        String admin = null;
        Path config = null;
        String token = System.getenv(StatusCommand.TOKEN_ENV);
        while (!args.isEmpty()) {
            String a = args.poll();
            switch (a) {
                case "--admin" -> admin = Main.value(args, a);
                case "--config", "-c" -> config = Path.of(Main.value(args, a));
                case "--token" -> token = Main.value(args, a);
                default -> throw new Main.UsageException("unknown option '" + a + "'");
            }
        }
        AdminCall call = AdminCall.to("maintenance", admin, config, token, REQUEST_TIMEOUT, err);
        if (call == null) {
            return Main.INVALID;
        }
        String path = "/api/sites/" + URLEncoder.encode(site, StandardCharsets.UTF_8) + "/maintenance"
                + (action.equals("config") ? "" : "/" + action);
        HttpResponse<String> r;
        try {
            r = call.send(action.equals("config") ? "DELETE" : "POST", path);
        } catch (IOException e) {
            err.println(call.unreachable(e));
            return Main.INVALID;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Main.INVALID;
        }
        if (r.statusCode() != 200) {
            err.println("tandem maintenance: " + call.refusal(r));
            return Main.INVALID;
        }
        out.println(switch (action) {
            case "on" -> "site " + site + ": maintenance on (this node; until `tandem maintenance off`, a reload"
                    + " that changes its maintenance.enabled, or a restart)";
            case "off" -> "site " + site + ": maintenance off (this node)";
            default -> "site " + site + ": maintenance as the config says";
        });
        return Main.OK;
    }
}

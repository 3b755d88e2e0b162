package dev.tandem.packaging;

import dev.tandem.conf.Config;
import dev.tandem.conf.ConfigException;
import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Defaults;
import dev.tandem.conf.HostPort;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
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
        HostPort target = Defaults.ADMIN_BIND;
        if (admin != null) {
            try {
                target = HostPort.parse(admin, -1);
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException("--admin " + e.getMessage());
            }
        } else if (config != null) {
            try {
                Config c = ConfigLoader.load(config, 0).config();
                target = c.admin().bind();
                if (token == null) {
                    token = c.admin().token().orElse(null);
                }
            } catch (ConfigException | IOException e) {
                err.println("tandem maintenance: cannot use " + config + " (tandem check " + config + ")");
                return Main.INVALID;
            }
        }
        HostPort to = StatusCommand.connectable(target);
        String path = "/api/sites/" + URLEncoder.encode(site, StandardCharsets.UTF_8) + "/maintenance"
                + (action.equals("config") ? "" : "/" + action);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + to + path)).timeout(REQUEST_TIMEOUT)
                .method(action.equals("config") ? "DELETE" : "POST", HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> r;
        try {
            r = client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            err.println("tandem maintenance: cannot reach the admin listener at " + to + ": " + e.getMessage()
                    + " (is Tandem running there? --admin HOST:PORT or --config FILE)");
            return Main.INVALID;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Main.INVALID;
        }
        if (r.statusCode() == 401) {
            err.println("tandem maintenance: " + to + " wants a token: --token TOKEN, $" + StatusCommand.TOKEN_ENV
                    + " or --config FILE");
            return Main.INVALID;
        }
        if (r.statusCode() != 200) {
            err.println("tandem maintenance: " + to + " answered HTTP " + r.statusCode() + ": " + r.body().strip());
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

package dev.tandem.packaging;

import dev.tandem.conf.Config;
import dev.tandem.conf.ConfigException;
import dev.tandem.conf.ConfigLoader;
import dev.tandem.conf.Defaults;
import dev.tandem.conf.HostPort;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Deque;

/**
 * {@code tandem mirror confirm ROOT} and {@code tandem mirror restore ROOT} [--admin HOST:PORT] [--config FILE]
 * [--token TOKEN]: a held mass deletion of the mirrored path ROOT goes ahead, or is dropped and its files are
 * fetched back from a peer. The address and token are found as for {@code tandem status}. Exit status: 0 when
 * done, 1 otherwise (no deletion held there, no peer to fetch from, the node not reachable).
 */
final class MirrorCommand {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private MirrorCommand() {
    }

    static int run(Deque<String> args, PrintStream out, PrintStream err) throws Main.UsageException {
        String action = args.poll();
        if (!"confirm".equals(action) && !"restore".equals(action)) {
            throw new Main.UsageException("mirror: expected 'confirm ROOT' or 'restore ROOT'");
        }
        String root = null;
        String admin = null;
        Path config = null;
        String token = System.getenv(StatusCommand.TOKEN_ENV);
        while (!args.isEmpty()) {
            String a = args.poll();
            switch (a) {
                case "--admin" -> admin = Main.value(args, a);
                case "--config", "-c" -> config = Path.of(Main.value(args, a));
                case "--token" -> token = Main.value(args, a);
                default -> {
                    if (a.startsWith("-") || root != null) {
                        throw new Main.UsageException("unknown option '" + a + "'");
                    }
                    root = a;
                }
            }
        }
        if (root == null) {
            throw new Main.UsageException("mirror " + action + ": expected ROOT, a mirrored path");
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
                err.println("tandem mirror: cannot use " + config + " (tandem check " + config + ")");
                return Main.INVALID;
            }
        }
        HostPort to = StatusCommand.connectable(target);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + to + "/api/mirror/" + action))
                .timeout(REQUEST_TIMEOUT).POST(HttpRequest.BodyPublishers.ofString(root, StandardCharsets.UTF_8));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT)
                    .version(HttpClient.Version.HTTP_1_1).build()
                    .send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (r.statusCode() == 200) {
                out.println("mirror " + action + " " + root + ": " + r.body().strip());
                return Main.OK;
            }
            err.println("tandem mirror " + action + ": " + (r.statusCode() == 401
                    ? to + " wants a token: --token TOKEN, $" + StatusCommand.TOKEN_ENV + " or --config FILE"
                    : to + " answered HTTP " + r.statusCode() + ": " + r.body().strip()));
            return Main.INVALID;
        } catch (IOException e) {
            err.println("tandem mirror: cannot reach the admin listener at " + to + ": " + e.getMessage()
                    + " (is Tandem running there? --admin HOST:PORT or --config FILE)");
            return Main.INVALID;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Main.INVALID;
        }
    }
}

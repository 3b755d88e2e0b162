package dev.tandem.node.cli;

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

/**
 * A command's calls to a running node's admin API: where they go ({@code --admin HOST:PORT}, else the
 * {@code admin.bind} of {@code --config FILE}, else the default), the token they carry ({@code --token}, else
 * {@code $TANDEM_ADMIN_TOKEN}, else the config's), and the words an operator reads when one fails. The
 * commands that change something on a node ({@code handover}, {@code resume}, {@code mirror},
 * {@code maintenance}) all find and address a node the same way, so they say the same things.
 */
final class AdminCall {

    private final String command;
    private final HostPort target;
    private final String token;
    private final Duration timeout;
    private final HttpClient client;

    private AdminCall(String command, HostPort target, String token, Duration timeout) {
        this.command = command;
        this.target = target;
        this.token = token;
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    /**
     * The calls of {@code command} (as the operator typed it, for messages), or null when {@code config} cannot
     * be used: then the reason has been printed on {@code err}.
     *
     * @param admin  the {@code --admin} value, or null
     * @param config the {@code --config} file, or null
     * @param token  the {@code --token} value or the environment's, or null
     */
    static AdminCall to(String command, String admin, Path config, String token, Duration timeout, PrintStream err)
            throws Main.UsageException {
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
                target = AdminTarget.of(c);
                if (token == null) {
                    token = c.admin().token().orElse(null);
                }
            } catch (ConfigException | IOException e) {
                err.println("tandem " + command + ": cannot use " + config + " (tandem check " + config + ")");
                return null;
            }
        }
        return new AdminCall(command, StatusCommand.connectable(target), token, timeout);
    }

    HostPort target() {
        return target;
    }

    HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
        return send(method, path, HttpRequest.BodyPublishers.noBody());
    }

    HttpResponse<String> send(String method, String path, HttpRequest.BodyPublisher body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + target + path)).timeout(timeout)
                .method(method, body);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /** What to say when the admin listener could not be reached. */
    String unreachable(IOException e) {
        return "tandem " + command + ": cannot reach the admin listener at " + target + ": " + e.getMessage()
                + " (is Tandem running there? --admin HOST:PORT or --config FILE)";
    }

    /** What is wrong with an answer other than the one expected: a token wanted, else the status and body. */
    String refusal(HttpResponse<String> r) {
        if (r.statusCode() == 401) {
            return target + " wants a token: --token TOKEN, $" + StatusCommand.TOKEN_ENV + " or --config FILE";
        }
        return target + " answered HTTP " + r.statusCode() + ": " + r.body().strip();
    }
}

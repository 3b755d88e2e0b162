package dev.tandem.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The config parser's contract under any input: the bytes of a file either give a {@link Snapshot}, or a
 * {@link ConfigException} whose every error reads {@code FILE:LINE:COL: message} with a place inside the file.
 * Nothing else may come out (no runtime exception, no stack overflow): {@code tandem check} and the mirror's
 * validation of received files rely on that.
 *
 * <p>Coverage-guided (Jazzer). Every {@code mvn verify} replays the inputs directory
 * ({@code src/test/resources/dev/tandem/conf/ConfigFuzzTestInputs/}: seeds and past findings) and then fuzzes
 * for {@code maxDuration}; {@code benchmarks/fuzz.sh} fuzzes longer.
 */
class ConfigFuzzTest {

    private static final String SOURCE = "fuzz.yaml";
    private static final Pattern ERROR_LINE = Pattern.compile("\\Q" + SOURCE + "\\E:[1-9][0-9]*:[1-9][0-9]*: \\S.*", Pattern.DOTALL);

    @FuzzTest(maxDuration = "30s")
    @DictionaryEntries({
        "listeners:", "sites:", "upstreams:", "cluster:", "limits:", "forwarding:", "admin:", "workers:",
        "name:", "bind:", "tls:", "certificates:", "cert:", "key:", "hosts:", "static:", "root:", "match:",
        "fallback:", "upstream:", "balance:", "servers:", "address:", "weight:", "backup:", "keepalive:",
        "timeouts:", "connect:", "read:", "write:", "passive:", "max_fails:", "fail_timeout:", "retries:",
        "health:", "http:", "path:", "expect_status:", "expect_body:", "interval:", "timeout:", "rise:", "fall:",
        "trusted_proxies:", "max_header_bytes:", "max_body_bytes:", "nodes:", "port:", "secret_file:",
        "advert_interval:", "preempt:", "vips:", "interface:", "prefer:", "witnesses:", "notify:", "mirror:",
        "paths:", "state_dir:", "access_log:", "shutdown:", "drain_timeout:", "redirect_https:", "hsts:",
        "max_age:", "index:", "mime_types:", "node_health:", "weighted-round-robin", "least-connections",
        "ip-hash", "127.0.0.1:80", "[::1]:8080", "10.0.0.0/8", "203.0.113.10/24", "100ms", "2s", "1m", "30m",
        "16k", "1g", "200-399", "  - ", ": { ", " }", "[", "]", "&a ", "*a", "!!str", "~", "---",
    })
    void anyBytesAreAConfigOrPlacedErrors(byte[] file) {
        Snapshot snapshot;
        try {
            snapshot = ConfigLoader.fromBytes(SOURCE, file, Path.of("/etc/tandem"), 1);
        } catch (ConfigException e) {
            assertFalse(e.errors().isEmpty(), "a refused config says why");
            int lines = lineCount(file);
            for (ConfigError error : e.errors()) {
                assertEquals(SOURCE, error.file());
                assertTrue(ERROR_LINE.matcher(error.toString()).matches(), error::toString);
                assertTrue(error.line() <= lines, () -> error + ": past the file's last line (" + lines + ")");
            }
            return;
        }
        assertNotNull(snapshot.config());
        assertEquals(64, snapshot.hash().length());
    }

    /**
     * Lines a place may name: one more than the line breaks (the last line need not end with one). A break is
     * what YAML calls one: CR LF, LF, or a CR alone (which editors show as a new line too).
     */
    private static int lineCount(byte[] file) {
        int lines = 1;
        for (int i = 0; i < file.length; i++) {
            boolean crAlone = file[i] == '\r' && (i + 1 == file.length || file[i + 1] != '\n');
            lines += file[i] == '\n' || crAlone ? 1 : 0;
        }
        return lines;
    }
}

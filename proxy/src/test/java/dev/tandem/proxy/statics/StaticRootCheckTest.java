package dev.tandem.proxy.statics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.conf.ConfigError;
import dev.tandem.conf.ConfigLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StaticRootCheckTest {

    @TempDir
    Path dir;

    @Test
    void rootsMustBeDirectories() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        Files.writeString(dir.resolve("file.txt"), "x");
        String yaml = """
                listeners: [{name: http, bind: ":80"}]
                sites:
                  - hosts: [a.example]
                    static: {root: www, fallback: false}
                  - hosts: [b.example]
                    static: {root: nowhere, fallback: false}
                  - hosts: [c.example]
                    static:
                      root: file.txt
                      fallback: false
                  - hosts: [d.example]
                    upstream: app
                upstreams: {app: {servers: [{address: "127.0.0.1:1"}]}}
                """;
        var snapshot = ConfigLoader.fromBytes("t.yaml", yaml.getBytes(StandardCharsets.UTF_8), dir, 1);
        List<String> errors = new StaticRootCheck().check(snapshot).stream().map(ConfigError::toString).toList();
        assertEquals(List.of(
                "t.yaml:6:20: sites[1].static.root: '" + dir.resolve("nowhere") + "' does not exist (expected: a directory of files to serve)",
                "t.yaml:9:13: sites[2].static.root: '" + dir.resolve("file.txt") + "' is not a directory (expected: a directory of files to serve)"),
                errors);
    }
}

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Runs DynamoDB Local bound to 127.0.0.1 only.
 *
 * <p>DynamoDB Local listens on every interface and has no option to change that, so a
 * developer's in-memory database would be reachable from the network. This launcher builds
 * the server exactly as DynamoDB Local's own command line does, sets the host of each Jetty
 * connector to the loopback address before starting it, and prints the port it actually
 * bound on a line {@code SENTINEL_DYNAMODB_LOCAL_PORT=<port>} for the Node parent
 * (src/local/dynamodbLocal.ts) to read.
 *
 * <p>{@code -port 0} asks the system for a free port (no race between picking a port and
 * binding it). DynamoDB Local's own parser rejects 0, so the launcher hands it a valid
 * placeholder and sets port 0 on the connectors itself.
 *
 * <p>Run with Java's single-file source launcher:
 * {@code java -cp "DynamoDBLocal.jar:DynamoDBLocal_lib/*" -Djava.library.path=DynamoDBLocal_lib
 * LoopbackDynamoDBLocal.java -inMemory -port 0 -disableTelemetry}
 */
public final class LoopbackDynamoDBLocal {
  private static final String LOOPBACK = "127.0.0.1";
  private static final String PORT_LINE_PREFIX = "SENTINEL_DYNAMODB_LOCAL_PORT=";
  private static final String PORT_OPTION = "-port";
  /** Any port DynamoDB Local's parser accepts; it is replaced before anything binds. */
  private static final String PLACEHOLDER_PORT = "8000";

  private LoopbackDynamoDBLocal() {}

  public static void main(String[] args) throws Exception {
    // Started first, so the process cannot outlive its parent even while it is starting up.
    exitWhenStdinCloses();

    String[] serverArgs = args.clone();
    boolean anyFreePort = false;
    for (int i = 0; i + 1 < serverArgs.length; i++) {
      if (PORT_OPTION.equals(serverArgs[i]) && "0".equals(serverArgs[i + 1])) {
        serverArgs[i + 1] = PLACEHOLDER_PORT;
        anyFreePort = true;
      }
    }

    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(serverArgs);
    if (proxy == null) {
      // DynamoDB Local printed its usage or version (-help, -version): nothing to serve.
      System.exit(0);
    }

    // DynamoDBProxyServer exposes neither its Jetty server nor a host option; the field is
    // private in every 1.x release, so a change there fails loudly here instead of silently
    // listening on all interfaces.
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);

    List<ServerConnector> connectors = new ArrayList<>();
    for (Connector connector : server.getConnectors()) {
      if (!(connector instanceof ServerConnector)) {
        throw new IllegalStateException("Unexpected Jetty connector " + connector.getClass().getName() + ": cannot bind it to " + LOOPBACK);
      }
      ServerConnector serverConnector = (ServerConnector) connector;
      serverConnector.setHost(LOOPBACK);
      if (anyFreePort) {
        serverConnector.setPort(0);
      }
      connectors.add(serverConnector);
    }
    if (connectors.isEmpty()) {
      throw new IllegalStateException("DynamoDB Local created no Jetty connector");
    }

    proxy.start();
    System.out.println(PORT_LINE_PREFIX + connectors.get(0).getLocalPort());
    System.out.flush();
  }

  /**
   * The parent keeps our stdin open for as long as it lives; end of input means it has gone
   * (even when it was killed with SIGKILL and could not stop us), so exit with it.
   */
  private static void exitWhenStdinCloses() {
    Thread watcher = new Thread(() -> {
      InputStream in = System.in;
      byte[] buffer = new byte[256];
      try {
        while (in.read(buffer) != -1) {
          // Input is ignored: only its end matters.
        }
      } catch (IOException e) {
        // An unreadable stdin is as good as a closed one.
      }
      System.exit(0);
    }, "sentinel-exit-on-stdin-eof");
    watcher.setDaemon(true);
    watcher.start();
  }
}

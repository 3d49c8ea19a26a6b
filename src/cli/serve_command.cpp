// `latentkit serve`: the JSON API over HTTP (cpp-httplib), for the runs given on the command line.
#include "latentkit_serve.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "latentkit/error.h"
#include "loaded_run.h"

#if LATENTKIT_HAVE_HTTPLIB
#include <httplib.h>
#include "latentkit_serve_page.h"
#include "serve_api.h"
#include "serve_json.h"
#endif

namespace latentkit::cli {

namespace {

struct ServeArgs {
  std::vector<std::string> runs;
  RunFlags run;  // execution flags and --quiet (its RUN positional is unused)
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string token;
  int64_t max_rows = 10000;
  int64_t max_body_mb = 64;
  int threads = 8;
};

#if LATENTKIT_HAVE_HTTPLIB

void send(httplib::Response& res, const ApiReply& reply) {
  res.status = reply.status;
  // What a client (bench/serve.py) needs to tell the model's share of a request's time.
  if (reply.model_seconds >= 0) res.set_header("X-Latentkit-Model-Seconds", std::to_string(reply.model_seconds));
  if (!reply.content_type.empty()) res.set_content(reply.bytes, reply.content_type.c_str());
  else res.set_content(reply.body.dump(), "application/json");
}

// Equal strings, in a time that depends on their lengths only: the token cannot be guessed a
// character at a time from answer times.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
  return diff == 0 && !b.empty();
}

// ?format=png&columns=N
AnswerForm form_of(const httplib::Request& req) {
  AnswerForm form;
  const std::string format = req.get_param_value("format");
  if (!format.empty() && format != "png" && format != "json") fail("request", "format must be json or png, not '" + format + "'");
  form.png = format == "png";
  form.columns = count_of("columns", req.get_param_value("columns"), 0, 1000);
  return form;
}

void run_serve(const ServeArgs& a) {
  if (a.runs.empty()) fail("serve", "give at least one run directory (or a directory of runs)");
  if (a.port < 0 || a.port > 65535) fail("--port", std::to_string(a.port) + " is not a TCP port");
  if (a.max_rows < 1) fail("--max-rows", "must be at least 1");
  if (a.max_body_mb < 1 || a.max_body_mb > 4096) fail("--max-body-mb", "must be from 1 to 4096");
  if (a.threads < 1) fail("--http-threads", "must be at least 1");
  ServeLimits limits;
  limits.max_rows = a.max_rows;
  limits.max_samples = a.max_rows;
  auto api = std::make_shared<ServeApi>(a.runs, a.run.execution(), limits);

  httplib::Server server;
  const int threads = a.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm holds
  // the body until the client's delayed ACK, 40 ms on Linux, for every small answer.
  server.set_tcp_nodelay(true);
  // httplib's default adds SO_REUSEPORT, which lets a second server bind a port in use and
  // share its connections: SO_REUSEADDR alone still allows a quick restart.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server.set_payload_max_length(static_cast<size_t>(a.max_body_mb) << 20);
  server.set_read_timeout(30, 0);
  server.set_write_timeout(30, 0);
  const std::string token = a.token;
  server.set_pre_routing_handler([token](const httplib::Request& req, httplib::Response& res) {
    if (token.empty() || req.path.rfind("/api/", 0) != 0) return httplib::Server::HandlerResponse::Unhandled;
    if (same_secret(req.get_header_value("Authorization"), "Bearer " + token)) return httplib::Server::HandlerResponse::Unhandled;
    send(res, api_error(401, "request: the API needs the header 'Authorization: Bearer <token>' (--token)"));
    return httplib::Server::HandlerResponse::Handled;
  });
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kServePage, "text/html; charset=utf-8");
  });
  for (const auto& [path, script] : {std::pair{"/serve_common.js", kServeCommonJs}, {"/serve_explorer.js", kServeExplorerJs},
                                     {"/serve_tools.js", kServeToolsJs}, {"/serve_dashboard.js", kServeDashboardJs}}) {
    const char* text = script;
    server.Get(path, [text](const httplib::Request&, httplib::Response& res) {
      res.set_content(text, "text/javascript; charset=utf-8");
    });
  }
  server.Get("/api/runs", [api](const httplib::Request&, httplib::Response& res) { send(res, api->list_runs()); });
  server.Get("/api/tables", [api](const httplib::Request&, httplib::Response& res) { send(res, api->tables()); });
  server.Get(R"(/api/runs/([^/]+))", [api](const httplib::Request& req, httplib::Response& res) {
    send(res, api->run_info(req.matches[1]));
  });
  server.Get(R"(/api/runs/([^/]+)/metrics)", [api](const httplib::Request& req, httplib::Response& res) {
    send(res, api->metrics(req.matches[1]));
  });
  server.Get(R"(/api/runs/([^/]+)/codes)", [api](const httplib::Request& req, httplib::Response& res) {
    send(res, api->codes(req.matches[1], req.has_param("split") ? req.get_param_value("split") : "test",
                         req.get_param_value("limit")));
  });
  server.Get(R"(/api/runs/([^/]+)/examples)", [api](const httplib::Request& req, httplib::Response& res) {
    send(res, api->examples(req.matches[1], req.has_param("split") ? req.get_param_value("split") : "test",
                            req.get_param_value("indices")));
  });
  server.Get(R"(/api/runs/([^/]+)/pictures)", [api](const httplib::Request& req, httplib::Response& res) {
    send(res, api->pictures(req.matches[1]));
  });
  server.Get(R"(/api/runs/([^/]+)/pictures/([^/]+))", [api](const httplib::Request& req, httplib::Response& res) {
    send(res, api->picture(req.matches[1], req.matches[2]));
  });
  server.Post(R"(/api/runs/([^/]+)/([a-z]+))", [api](const httplib::Request& req, httplib::Response& res) {
    try {
      send(res, api->act(req.matches[1], req.matches[2], req.body, form_of(req)));
    } catch (const InputError& e) {
      send(res, api_error(400, e.what()));
    }
  });
  // Anything else, a too large body included, is answered in the API's own form.
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // the API's own 4xx answer
    // httplib caps form-encoded bodies at 8 KiB: JSON must say it is JSON.
    const std::string what = res.status == 413 ? "the body is larger than --max-body-mb (or, sent as form data, "
                                                 "than 8 KiB: send 'Content-Type: application/json')"
                           : res.status == 404 ? "no such endpoint"
                                               : "cannot be served";
    send(res, api_error(res.status, req.method + " " + req.path + ": " + what));
  });
  server.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "failed";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    }
    send(res, api_error(500, req.method + " " + req.path + ": " + what));
  });

  int port = a.port;
  if (port == 0) port = server.bind_to_any_port(a.host);
  else if (!server.bind_to_port(a.host, port)) port = -1;
  if (port <= 0) fail("--port", "cannot listen on " + a.host + ":" + std::to_string(a.port) + " (in use, or not an address of this machine)");
  if (!a.run.quiet) {
    std::printf("serving %zu run(s) at http://%s:%d/%s\n", api->runs().size(), a.host.c_str(), port,
                a.token.empty() ? "" : "#token=<token> (the API wants the bearer token)");
    std::fflush(stdout);
  }
  server.listen_after_bind();
}

#else

void run_serve(const ServeArgs&) {
  fail("serve", "this build of latentkit has no HTTP server (install libcpp-httplib-dev and rebuild)");
}

#endif

}  // namespace

void add_serve_command(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "Explore runs in the browser and serve them over a JSON HTTP API: encode, decode, reconstruct, score, sample (docs/SERVE.md)");
  cmd->add_option("runs", a->runs, "Run directories, or directories of runs (such as compare's output)");
  a->run.cmd = cmd;
  add_execution_flags(cmd, a->run.execution_flags);
  cmd->add_flag("--quiet", a->run.quiet, "No informational lines");
  cmd->add_option("--host", a->host, "Address to listen on (127.0.0.1: this machine only)")->capture_default_str();
  cmd->add_option("--port", a->port, "TCP port (0: any free port, printed)")->capture_default_str();
  cmd->add_option("--token", a->token, "Require 'Authorization: Bearer TOKEN' on every API request");
  cmd->add_option("--max-rows", a->max_rows, "Most rows (or samples) in one request")->capture_default_str();
  cmd->add_option("--max-body-mb", a->max_body_mb, "Largest request body in MiB")->capture_default_str();
  cmd->add_option("--http-threads", a->threads, "Requests served at once")->capture_default_str();
  cmd->callback([a] { run_serve(*a); });
}

}  // namespace latentkit::cli

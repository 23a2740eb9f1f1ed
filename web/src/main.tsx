import { render } from "solid-js/web";
import { App } from "./components/App.tsx";
import "./styles/base.css";
import "./styles/layout.css";
import "./styles/messages.css";
import "./styles/widgets.css";
import "./styles/people.css";
import "./styles/notify.css";

render(() => <App />, document.getElementById("root")!);

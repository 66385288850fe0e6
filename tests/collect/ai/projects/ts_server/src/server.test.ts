import OpenAI from "openai";

new OpenAI().chat.completions.create({ model: "gpt-3.5-turbo", messages: [] });

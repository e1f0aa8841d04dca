"""The text the traffic simulation writes with, all written for this module: paraphrase templates,
the questions of a product launch and of an outage, twelve hand-translated everyday questions,
sentences of context that make a question longer, and the launch's knowledge-base document."""

from __future__ import annotations

from typing import Any

PARAPHRASE_PREFIXES = ("Quick question: ", "Hi! ", "Hello, ", "Hey team, ", "Question about Quaywise: ",
                       "I was wondering: ", "Sorry if this is obvious, but ", "pls help - ")
PARAPHRASE_SUFFIXES = (" Thanks.", " Thanks in advance!", " (asking for my manager)", " Any help appreciated.",
                       " Need this today.")
PARAPHRASE_SWAPS = (("What is ", "What's "), ("How do I ", "What's the way to "), ("Can I ", "Is it possible to "),
                    ("Can we ", "Are we able to "), ("How many ", "What number of "), ("Is there ", "Do you have "),
                    ("How much ", "What amount "), ("Do you ", "Does Quaywise "))

LAUNCH_QUESTIONS = (
    "How do I turn on {product} for my workspace?",
    "Which plans include {product}?",
    "What fee does {product} charge per transaction?",
    "Can I take card payments in a form with {product}?",
    "Which currencies does {product} support?",
    "How long do {product} payouts take to reach our bank account?",
    "How do I refund a payment made through {product}?",
    "Does {product} support Apple Pay and Google Pay?",
    "Can a form charge a different amount depending on the answers with {product}?",
    "Is {product} available in the EU and Canada data regions?",
    "Is {product} PCI compliant?",
    "Can I connect {product} to the payment processor we already use?",
    "Why was a {product} payment declined?",
    "Can approvers see whether someone has paid before they approve?",
    "How do I export {product} transactions for our accountants?",
    "Does {product} email a receipt to the person who paid?",
    "Can I collect a deposit now and the rest later with {product}?",
    "What happens to a submission if the {product} payment fails?",
    "Is there a minimum or maximum amount for a {product} payment?",
    "How do I add sales tax to a {product} payment field?",
    "Can guests pay through {product} without a Quaywise account?",
    "Where do I see the {product} payout schedule?",
)

OUTAGE_QUESTIONS = (
    "Is Quaywise down?",
    "Forms are not loading for us, is there an outage?",
    "Submissions fail with a 503 error, what is going on?",
    "Is everything OK with Quaywise right now? Nothing loads.",
)

# Twelve everyday questions, translated by hand; keys are the English originals.
TRANSLATIONS: dict[str, dict[str, str]] = {
    "How much does the Team plan cost per user?": {
        "es": "¿Cuánto cuesta el plan Team por usuario?",
        "de": "Was kostet der Team-Tarif pro Nutzer?",
        "fr": "Combien coûte le forfait Team par utilisateur ?"},
    "How do I reset my password?": {
        "es": "¿Cómo restablezco mi contraseña?",
        "de": "Wie setze ich mein Passwort zurück?",
        "fr": "Comment réinitialiser mon mot de passe ?"},
    "Can I export submissions to CSV?": {
        "es": "¿Puedo exportar los envíos a CSV?",
        "de": "Kann ich Einsendungen als CSV exportieren?",
        "fr": "Puis-je exporter les réponses au format CSV ?"},
    "How do I set up single sign-on?": {
        "es": "¿Cómo configuro el inicio de sesión único?",
        "de": "Wie richte ich Single Sign-On ein?",
        "fr": "Comment configurer l'authentification unique ?"},
    "Where is my data stored?": {
        "es": "¿Dónde se almacenan mis datos?",
        "de": "Wo werden meine Daten gespeichert?",
        "fr": "Où sont stockées mes données ?"},
    "How do I cancel my subscription?": {
        "es": "¿Cómo cancelo mi suscripción?",
        "de": "Wie kündige ich mein Abonnement?",
        "fr": "Comment résilier mon abonnement ?"},
    "How many forms can I create on the Free plan?": {
        "es": "¿Cuántos formularios puedo crear con el plan gratuito?",
        "de": "Wie viele Formulare kann ich im kostenlosen Tarif erstellen?",
        "fr": "Combien de formulaires puis-je créer avec le forfait gratuit ?"},
    "How do I invite a new user to my workspace?": {
        "es": "¿Cómo invito a un nuevo usuario a mi espacio de trabajo?",
        "de": "Wie lade ich einen neuen Nutzer in meinen Arbeitsbereich ein?",
        "fr": "Comment inviter un nouvel utilisateur dans mon espace de travail ?"},
    "Can I add an approval step to a form?": {
        "es": "¿Puedo añadir un paso de aprobación a un formulario?",
        "de": "Kann ich einem Formular einen Genehmigungsschritt hinzufügen?",
        "fr": "Puis-je ajouter une étape d'approbation à un formulaire ?"},
    "How do I delete my account and all my data?": {
        "es": "¿Cómo elimino mi cuenta y todos mis datos?",
        "de": "Wie lösche ich mein Konto und alle meine Daten?",
        "fr": "Comment supprimer mon compte et toutes mes données ?"},
    "Is there a limit on API requests per minute?": {
        "es": "¿Hay un límite de solicitudes a la API por minuto?",
        "de": "Gibt es ein Limit für API-Anfragen pro Minute?",
        "fr": "Y a-t-il une limite de requêtes API par minute ?"},
    "How do I change the billing email address?": {
        "es": "¿Cómo cambio la dirección de correo de facturación?",
        "de": "Wie ändere ich die E-Mail-Adresse für die Rechnungen?",
        "fr": "Comment modifier l'adresse e-mail de facturation ?"},
}

CONTEXT_SENTENCES = (
    "We're a 40-person accounting firm on the Business plan and our month-end close runs through Quaywise approvals.",
    "I've already read the help centre and searched the community forum but could not find a clear answer.",
    "My manager asked me to check this before our renewal meeting next week.",
    "We moved from paper forms last quarter and are still learning how everything fits together.",
    "This is for our HR onboarding workflow, which about 200 new hires go through every year.",
    "Our IT team is reviewing every tool we use this month, so I need a precise answer.",
    "I tried this yesterday afternoon and again this morning and got the same result both times.",
    "Some context: we have three workspaces, one per office, and a shared admin account.",
    "Our legal team is asking because of a customer audit that is due at the end of the month.",
    "I'm the only admin here and everyone in finance is waiting on me to sort this out.",
    "We are comparing Quaywise with two other vendors and this point could decide it.",
    "A colleague told me it used to work differently, which is why I'm double-checking.",
)

LAUNCH_DOCUMENT: dict[str, Any] = {
    "id": "kb-launch-pay", "doc_id": "help-quaywise-pay", "title": "Quaywise Pay: take payments in a form",
    "category": "help", "tenant": "shared", "data_class": "public", "version": 1, "status": "current",
    "updated": "2025-10-23",
    "text": ("# Quaywise Pay: take payments in a form\n\n"
             "Quaywise Pay (simulated launch, written for the traffic simulation) lets a form collect a card "
             "payment as part of a submission. Add a **Payment** field, set a fixed amount or a formula that "
             "depends on earlier answers, and choose the currency (USD, EUR, GBP, CAD or AUD).\n\n"
             "Quaywise Pay is included on Team, Business and Enterprise. Each successful payment costs 2.9% plus "
             "30 cents. Payouts reach your bank account three business days after the payment. Refunds are made "
             "from the submission page within 90 days; the fee is not returned.\n\n"
             "If a payment fails, the submission is saved as a draft and the person who pays gets an email with "
             "a link to try again. Approvers see a Paid or Unpaid badge on each request. Receipts are emailed "
             "automatically. Exports of transactions are in Settings > Payments > Export, as CSV."),
}
